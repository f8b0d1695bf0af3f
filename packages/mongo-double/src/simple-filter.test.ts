import { Long, ObjectId } from "bson";
import { describe, expect, it } from "vitest";
import type { Doc } from "./bson-values.js";
import { compileFilter } from "./query-engine.js";
import { simpleMatcher } from "./simple-filter.js";
import { storeDoc } from "./stored-doc.js";

const docs: Doc[] = [
  { _id: "a", userId: "u1", slot: 3, active: true, at: new Date(1000), name: "Anderson" },
  { _id: "b", userId: "u2", slot: new Long(3), active: false, at: new Date(2000), name: ["Xander", "Bo"] },
  { _id: "c", userId: ["u1", "u3"], slot: 4.5, tags: [["u1"]], name: null, at: "1970" },
  { _id: "d", userId: "U1", slot: "3", name: 12, at: null },
  { _id: "e", slot: Number.NaN, name: ["ander", 5], at: [new Date(500), new Date(3000)] },
  { _id: "f", slot: [1, 9], name: { first: "ander" }, userId: new ObjectId("65a1b2c3d4e5f60718293a4b") },
  { _id: "g", slot: true, name: "\u{1F600}nder", userId: "\uFFFDz" },
  { _id: "h" },
];
const records = docs.map(storeDoc);

/** What the simple matcher keeps, counting the documents it hands to the engine. */
function simpleIds(filter: Doc): { ids: unknown[]; handedOver: number } {
  let handedOver = 0;
  const engine = compileFilter({ $nor: [{ $nor: [filter] }] });
  const matcher = simpleMatcher(filter, undefined, () => (record) => {
    handedOver++;
    return engine(record);
  })!;
  expect(matcher).toBeDefined();
  return { ids: records.filter(matcher).map((record) => record.doc._id), handedOver };
}

/** What the query engine keeps (`$nor` is never taken by the shortcut). */
const engineIds = (filter: Doc) => {
  const matcher = compileFilter({ $nor: [{ $nor: [filter] }] });
  return records.filter(matcher).map((record) => record.doc._id);
};

describe("simpleMatcher", () => {
  it.each<[string, Doc]>([
    ["a string, also inside an array", { userId: "u1" }],
    ["two fields", { userId: "u1", _id: "c" }],
    ["a number, whatever its BSON type", { slot: 3 }],
    ["a fractional number", { slot: 4.5 }],
    ["a boolean", { active: false }],
    ["a date", { at: new Date(2000) }],
    ["a value only nested arrays hold", { tags: "u1" }],
    ["a set of strings", { userId: { $in: ["u1", "u2", "nobody"] } }],
    ["a set of strings beside a scalar", { _id: { $in: ["a", "c", "d"] }, userId: "u1" }],
    ["a set of strings a number does not equal", { slot: { $in: ["3"] } }],
    ["strings to leave out", { userId: { $nin: ["u1", "u2"] } }],
    ["strings to leave out of every kind of value", { name: { $nin: ["ander", "Bo", "Anderson"] } }],
    ["no strings to leave out", { at: { $nin: [] } }],
    [
      "strings to leave out beside a set and a range",
      { _id: { $nin: ["b"] }, userId: { $in: ["u1", "u2"] }, slot: { $gte: 3 } },
    ],
    ["a regex", { name: { $regex: "nder" } }],
    ["a case-insensitive regex", { name: { $regex: "^ANDER", $options: "i" } }],
    ["a regex object", { name: { $regex: /der$/ } }],
    ["a regex on a field of ids and strings", { userId: { $regex: "^u" } }],
    [
      "a regex under $and beside an equality",
      { $and: [{ userId: "u2" }, { name: { $regex: "nder", $options: "is" } }] },
    ],
    ["nested $and", { $and: [{ $and: [{ slot: { $gte: 3 } }] }, { _id: { $in: ["a", "b", "c"] } }] }],
    ["a number range", { slot: { $gt: 2, $lte: 4.5 } }],
    ["a number range arrays and NaN meet", { slot: { $gte: 5 } }],
    ["an open range below", { slot: { $lt: 4 } }],
    ["a string range", { userId: { $gte: "u1", $lt: "u3" } }],
    ["a string range high units meet", { userId: { $gt: "a" } }],
    ["a date range", { at: { $gt: new Date(900), $lt: new Date(2500) } }],
    ["an $or of regexes", { $or: [{ name: { $regex: "^X" } }, { name: { $regex: "son$" } }] }],
    ["an $or whose branches hand over", { $or: [{ name: { $regex: "ander" } }, { slot: { $gt: 4 } }] }],
    ["an $or beside a field", { $or: [{ userId: "u1" }, { slot: 3 }], active: true }],
    ["a field that exists, null too", { name: { $exists: true } }],
    ["a field that is missing", { name: { $exists: false } }],
    ["a field that exists beside a set", { tags: { $exists: true }, userId: { $in: ["u1", "u2"] } }],
    ["an $or of $ands", { $or: [{ $and: [{ userId: "u2" }, { name: { $regex: "nder" } }] }, { _id: "g" }] }],
  ])("when the filter is %s then it matches what the query engine matches", (_, filter) => {
    expect(simpleIds(filter).ids).toEqual(engineIds(filter));
  });

  it("when strings are left out then every document is judged without the engine, whatever its value", () => {
    const { ids, handedOver } = simpleIds({ name: { $nin: ["Anderson", "ander"] } });
    expect(ids).toEqual(["b", "c", "d", "f", "g", "h"]);
    expect(handedOver).toBe(0);
  });

  it("when every value is of a type the tests know then the engine is never compiled", () => {
    const { ids, handedOver } = simpleIds({ $and: [{ _id: { $in: ["a", "b"] } }, { name: { $regex: "nder" } }] });
    expect(ids).toEqual(["a", "b"]);
    expect(handedOver).toBe(0);
  });

  it("when a value is of a type a test cannot judge then that document goes to the engine", () => {
    // "e" holds a number beside strings, "f" a document: the engine decides those two.
    expect(simpleIds({ name: { $regex: "ander" } })).toEqual({ ids: ["b", "e"], handedOver: 2 });
    // NaN and an array of numbers: the engine decides those two too.
    expect(simpleIds({ slot: { $gt: 2 } }).handedOver).toBe(2);
  });

  it("when the filter pins a field then it matches exactly the documents holding that value", () => {
    expect(simpleIds({ userId: "u1" }).ids).toEqual(["a", "c"]);
    expect(simpleIds({ slot: 3 }).ids).toEqual(["a", "b"]);
    expect(simpleIds({ name: { $regex: "^x", $options: "i" } }).ids).toEqual(["b"]);
  });

  it.each<[string, Doc, unknown]>([
    ["an operator it does not know", { slot: { $ne: 1 } }, undefined],
    ["a range beside another operator", { slot: { $gt: 1, $ne: 2 } }, undefined],
    ["a range on a value of another type", { slot: { $gt: new ObjectId() } }, undefined],
    ["a range on a string with high units", { userId: { $gt: "\uFFFD" } }, undefined],
    ["$in with a value that is not a string", { slot: { $in: ["3", 3] } }, undefined],
    ["$in beside another operator", { userId: { $in: ["u1"], $ne: "u2" } }, undefined],
    ["$nin with a value that is not a string", { slot: { $nin: ["3", 3] } }, undefined],
    ["a regex with options it cannot build", { name: { $regex: "a", $options: "x" } }, undefined],
    ["a regex object with options", { name: { $regex: /a/, $options: "i" } }, undefined],
    ["a global regex", { name: { $regex: /a/g } }, undefined],
    ["a dotted path", { "a.b": 1 }, undefined],
    ["$exists as a number", { name: { $exists: 1 } }, undefined],
    ["$exists beside another operator", { name: { $exists: true, $ne: null } }, undefined],
    ["null", { userId: null }, undefined],
    ["a regular expression as a value", { userId: /u/ }, undefined],
    ["an array", { userId: ["u1"] }, undefined],
    ["a top-level operator it does not know", { $nor: [{ userId: "u1" }] }, undefined],
    ["an $and holding one", { $and: [{ userId: "u1" }, { $nor: [{ slot: 3 }] }] }, undefined],
    ["an empty $or", { $or: [] }, undefined],
    ["an $or with an empty branch", { $or: [{}, { slot: 3 }] }, undefined],
    ["a collation", { userId: "u1" }, { locale: "en", strength: 2 }],
  ])("when the filter holds %s then it is left to the query engine", (_, filter, collation) => {
    expect(simpleMatcher(filter, collation ?? undefined, () => () => true)).toBeUndefined();
  });
});
