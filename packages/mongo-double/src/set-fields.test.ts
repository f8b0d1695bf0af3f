import { Long } from "bson";
import { describe, expect, it } from "vitest";
import type { Doc } from "./bson-values.js";
import { setPlainFields } from "./set-fields.js";

describe("setPlainFields", () => {
  it("when fields are set then existing ones keep their place, new ones follow in order and values keep their BSON type", () => {
    const doc = { _id: "x", a: 1, b: "two" };
    const result = setPlainFields(doc, { $set: { z: new Long(5), a: 9 } });
    expect(result).toEqual({ _id: "x", a: 9, b: "two", z: new Long(5) });
    expect(Object.keys(result!)).toEqual(["_id", "a", "b", "z"]);
    expect(doc).toEqual({ _id: "x", a: 1, b: "two" });
  });

  it("when dotted paths are set then the documents along them are copied or created and the original is untouched", () => {
    const doc: Doc = { _id: "x", payload: { name: "n" }, other: { k: 1 } };
    const result = setPlainFields(doc, { $set: { "payload.count": 2, "payload.id": "t", "deep.er.path": true } })!;
    expect(result).toEqual({
      _id: "x",
      payload: { name: "n", count: 2, id: "t" },
      other: { k: 1 },
      deep: { er: { path: true } },
    });
    expect(doc.payload).toEqual({ name: "n" });
    expect(result.other).toBe(doc.other);
  });

  it("when top-level fields are unset then the others keep their place and the original is untouched", () => {
    const doc: Doc = { _id: "x", a: 1, pending: { id: "e", at: new Date(5) }, b: "two" };
    const result = setPlainFields(doc, { $unset: { pending: "", missing: 1 } })!;
    expect(result).toEqual({ _id: "x", a: 1, b: "two" });
    expect(Object.keys(result)).toEqual(["_id", "a", "b"]);
    expect(doc.pending).toEqual({ id: "e", at: new Date(5) });
  });

  it("when fields are set and others unset in one update then both apply, in place", () => {
    const doc: Doc = { _id: "x", a: 1, lockUntil: new Date(5), b: "two" };
    const result = setPlainFields(doc, { $set: { a: 2, c: 3 }, $unset: { lockUntil: "" } })!;
    expect(result).toEqual({ _id: "x", a: 2, b: "two", c: 3 });
    expect(Object.keys(result)).toEqual(["_id", "a", "b", "c"]);
  });

  it.each<[string, Doc, Doc]>([
    ["a dotted path to unset", { a: { b: 1 } }, { $unset: { "a.b": "" } }],
    ["an empty $unset", { a: 1 }, { $unset: {} }],
    ["another operator", { a: 1 }, { $set: { a: 2 }, $inc: { b: 1 } }],
    ["a path through an array", { a: [{ b: 1 }] }, { $set: { "a.0.b": 2 } }],
    ["a positional path", { a: [1] }, { $set: { "a.$": 2 } }],
    ["a $-prefixed field", { a: 1 }, { $set: { $b: 2 } }],
  ])("when the update holds %s then it is left to the general engine", (_, doc, modifier) => {
    expect(setPlainFields(doc, modifier)).toBeUndefined();
  });
});
