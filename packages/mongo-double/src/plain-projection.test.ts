import { Long } from "bson";
import { describe, expect, it } from "vitest";
import type { Doc } from "./bson-values.js";
import { projectPlainFields } from "./plain-projection.js";

const docs: Doc[] = [
  { _id: "a", userId: "u", slot: 3, name: "n" },
  { _id: "b", name: "m", userId: "v" },
];

describe("projectPlainFields", () => {
  it.each<[string, Doc, Doc[]]>([
    [
      "an inclusion, in the document's order whatever the projection's",
      { slot: 1, userId: true },
      [
        { _id: "a", userId: "u", slot: 3 },
        { _id: "b", userId: "v" },
      ],
    ],
    ["an inclusion without _id", { _id: 0, name: new Long(1) }, [{ name: "n" }, { name: "m" }]],
    [
      "an exclusion",
      { name: 0, slot: false },
      [
        { _id: "a", userId: "u" },
        { _id: "b", userId: "v" },
      ],
    ],
    ["_id alone, included", { _id: 1 }, [{ _id: "a" }, { _id: "b" }]],
    [
      "_id alone, excluded",
      { _id: 0 },
      [
        { userId: "u", slot: 3, name: "n" },
        { name: "m", userId: "v" },
      ],
    ],
  ])("when the projection is %s then the documents keep what mongod keeps", (_, projection, expected) => {
    const projected = projectPlainFields(docs, projection)!;
    expect(projected).toEqual(expected);
    expect(projected.map((doc) => Object.keys(doc))).toEqual(expected.map((doc) => Object.keys(doc)));
  });

  it.each<[string, Doc]>([
    ["a mix of inclusion and exclusion", { name: 1, slot: 0 }],
    ["a dotted path", { "a.b": 1 }],
    ["an operator", { tags: { $slice: 1 } }],
    ["an expression", { name: "$userId" }],
  ])("when the projection holds %s then it is left to the general engine", (_, projection) => {
    expect(projectPlainFields(docs, projection)).toBeUndefined();
  });
});
