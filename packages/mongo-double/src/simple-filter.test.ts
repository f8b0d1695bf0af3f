import { Long } from "bson";
import { describe, expect, it } from "vitest";
import type { Doc } from "./bson-values.js";
import { equalityMatcher } from "./equality-filter.js";
import { compileFilter } from "./query-engine.js";
import { storeDoc } from "./stored-doc.js";

const docs: Doc[] = [
  { _id: "a", userId: "u1", slot: 3, active: true, at: new Date(1000) },
  { _id: "b", userId: "u2", slot: new Long(3), active: false, at: new Date(2000) },
  { _id: "c", userId: ["u1", "u3"], slot: 4.5, tags: [["u1"]] },
  { _id: "d", userId: "U1", slot: "3" },
  { _id: "e" },
];

const ids = (filter: Doc) =>
  docs.filter((doc) => equalityMatcher(filter, undefined)!(storeDoc(doc))).map((doc) => doc._id);
/** The same conditions as `$eq`, which the query engine compiles. */
const engineIds = (filter: Doc) => {
  const matcher = compileFilter(
    Object.fromEntries(Object.entries(filter).map(([field, value]) => [field, { $eq: value }])),
  );
  return docs.filter((doc) => matcher(storeDoc(doc))).map((doc) => doc._id);
};

describe("equalityMatcher", () => {
  it.each<[string, Doc]>([
    ["a string, also inside an array", { userId: "u1" }],
    ["two fields", { userId: "u1", _id: "c" }],
    ["a number, whatever its BSON type", { slot: 3 }],
    ["a fractional number", { slot: 4.5 }],
    ["a boolean", { active: false }],
    ["a date", { at: new Date(2000) }],
    ["a value only nested arrays hold", { tags: "u1" }],
  ])("when the filter is %s then it matches what the query engine matches", (_, filter) => {
    expect(ids(filter)).toEqual(engineIds(filter));
  });

  it.each<[string, Doc]>([
    ["a set of strings", { userId: { $in: ["u1", "u2", "nobody"] } }],
    ["a set of strings beside a scalar", { _id: { $in: ["a", "c", "d"] }, userId: "u1" }],
    ["a set of strings a number does not equal", { slot: { $in: ["3"] } }],
  ])("when the filter is %s then it matches what the query engine matches for $in", (_, filter) => {
    // Under `$and` the engine compiles the filter itself rather than taking this shortcut.
    const matcher = compileFilter({ $and: [filter] });
    expect(ids(filter)).toEqual(docs.filter((doc) => matcher(storeDoc(doc))).map((doc) => doc._id));
  });

  it("when the filter pins a field then it matches exactly the documents holding that value", () => {
    expect(ids({ userId: "u1" })).toEqual(["a", "c"]);
    expect(ids({ slot: 3 })).toEqual(["a", "b"]);
  });

  it.each<[string, Doc, unknown]>([
    ["an operator", { slot: { $gt: 1 } }, undefined],
    ["$in with a value that is not a string", { slot: { $in: ["3", 3] } }, undefined],
    ["$in beside another operator", { userId: { $in: ["u1"], $ne: "u2" } }, undefined],
    ["a dotted path", { "a.b": 1 }, undefined],
    ["null", { userId: null }, undefined],
    ["a regular expression", { userId: /u/ }, undefined],
    ["an array", { userId: ["u1"] }, undefined],
    ["a top-level operator", { $or: [{ userId: "u1" }] }, undefined],
    ["a collation", { userId: "u1" }, { locale: "en", strength: 2 }],
  ])("when the filter holds %s then it is left to the query engine", (_, filter, collation) => {
    expect(equalityMatcher(filter, collation ?? undefined)).toBeUndefined();
  });
});
