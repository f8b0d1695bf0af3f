import { Double, Int32, Long } from "mongodb";
import { describe, expect, it } from "vitest";
import { rejection, useBackend } from "../testing.js";

const backend = useBackend("conformance_updates");

describe("updates", () => {
  it("when update operators are combined then each applies as documented", async () => {
    const items = backend.collection("operators");
    await items.insertOne({ _id: 1, n: 1, tags: ["a", "b", "c"], set: ["x"], low: 5, high: 5, gone: true });
    await items.updateOne(
      { _id: 1 },
      {
        $set: { "profile.name": "A" },
        $unset: { gone: "" },
        $inc: { n: 2 },
        $push: { tags: "d" } as never,
        $pull: { set: "x" } as never,
        $addToSet: { extra: "e" },
        $min: { low: 3 },
        $max: { high: 9 },
        $currentDate: { touched: true },
      },
    );
    const doc = await items.findOne({ _id: 1 });
    expect(doc).toMatchObject({
      n: 3,
      tags: ["a", "b", "c", "d"],
      set: [],
      extra: ["e"],
      low: 3,
      high: 9,
      profile: { name: "A" },
    });
    expect(doc?.gone).toBeUndefined();
    expect(doc?.touched).toBeInstanceOf(Date);
    await items.updateOne(
      { _id: 1 },
      { $addToSet: { extra: { $each: ["e", "f"] } }, $pull: { tags: { $in: ["a", "b"] } } as never },
    );
    expect(await items.findOne({ _id: 1 })).toMatchObject({ extra: ["e", "f"], tags: ["c", "d"] });
  });

  it("when $setOnInsert is used then it applies only when the upsert inserts", async () => {
    const items = backend.collection("set_on_insert");
    await items.updateOne({ _id: 1 }, { $set: { a: 1 }, $setOnInsert: { created: "yes" } }, { upsert: true });
    await items.updateOne({ _id: 1 }, { $set: { a: 2 }, $setOnInsert: { created: "again" } }, { upsert: true });
    expect(await items.findOne({ _id: 1 })).toEqual({ _id: 1, a: 2, created: "yes" });
  });

  it("when an upsert inserts then the document is built from the filter's equality fields with _id first", async () => {
    const items = backend.collection("upsert_seed");
    const result = await items.updateOne(
      { email: "a@x", age: { $gt: 3 }, "org.id": 7 },
      { $set: { active: true } },
      { upsert: true },
    );
    expect(result.upsertedCount).toBe(1);
    const doc = await items.findOne({ email: "a@x" });
    expect(Object.keys(doc!)).toEqual(["_id", "email", "org", "active"]);
    expect(doc).toMatchObject({ email: "a@x", org: { id: 7 }, active: true });
    await items.updateOne({ _id: "given", n: 1 }, { $inc: { n: 1 } }, { upsert: true });
    expect(await items.findOne({ _id: "given" })).toEqual({ _id: "given", n: 2 });
  });

  it("when int32, int64 and double values are stored and updated then they keep their BSON types", async () => {
    const items = backend.collection("numeric_types");
    await items.insertOne({
      _id: 1,
      i: 1,
      l: Long.fromNumber(2),
      d: new Double(3),
      f: 1.5,
      untouched: Long.fromNumber(9),
    });
    await items.updateOne({ _id: 1 }, { $inc: { i: 1, l: 1, d: 1 } });
    const raw = await items.findOne({ _id: 1 }, { promoteValues: false });
    expect(raw?.i).toBeInstanceOf(Int32);
    expect(raw?.l).toBeInstanceOf(Long);
    expect(raw?.d).toBeInstanceOf(Double);
    expect(raw?.f).toBeInstanceOf(Double);
    expect(raw?.untouched).toBeInstanceOf(Long);
    expect([Number(raw?.i), Number(raw?.l), Number(raw?.d)]).toEqual([2, 3, 4]);
  });

  it("when $inc targets a string then it fails with TypeMismatch (14)", async () => {
    const items = backend.collection("type_errors");
    await items.insertOne({ _id: 1, s: "text", n: 1 });
    const inc = await rejection(items.updateOne({ _id: 1 }, { $inc: { s: 1 } }));
    expect(inc.code).toBe(14);
    expect(inc.message).toContain("Cannot apply $inc to a value of non-numeric type");
    expect((await rejection(items.updateOne({ _id: 1 }, { $inc: { n: "x" } } as never))).code).toBe(14);
    expect((await rejection(items.updateOne({ _id: 1 }, { $push: { s: 1 } } as never))).code).toBe(2);
    expect((await rejection(items.updateOne({ _id: 1 }, { $set: { "n.deep": 1 } }))).code).toBe(28);
    expect(await items.findOne({ _id: 1 })).toEqual({ _id: 1, s: "text", n: 1 });
  });

  it("when two operators touch the same path then it fails with ConflictingUpdateOperators (40)", async () => {
    const items = backend.collection("conflicts");
    await items.insertOne({ _id: 1, a: { b: 1 } });
    const error = await rejection(items.updateOne({ _id: 1 }, { $set: { a: 1 }, $inc: { "a.b": 1 } }));
    expect(error.code).toBe(40);
  });

  it("when an update changes _id then it fails with ImmutableField (66)", async () => {
    const items = backend.collection("immutable");
    await items.insertOne({ _id: 1, a: 1 });
    expect((await rejection(items.updateOne({ _id: 1 }, { $set: { _id: 2 } }))).code).toBe(66);
    expect((await rejection(items.replaceOne({ _id: 1 }, { _id: 2, a: 1 }))).code).toBe(66);
  });

  it("when an update uses an unknown operator then it fails with FailedToParse (9)", async () => {
    const items = backend.collection("unknown_update");
    await items.insertOne({ _id: 1 });
    const error = await rejection(items.updateOne({ _id: 1 }, { $frob: { a: 1 } } as never));
    expect(error.code).toBe(9);
  });

  it("when updateMany and deleteMany match several documents then counts report matched and modified", async () => {
    const items = backend.collection("many");
    await items.insertMany([
      { g: 1, v: 0 },
      { g: 1, v: 1 },
      { g: 2, v: 0 },
    ]);
    const updated = await items.updateMany({ g: 1 }, { $set: { v: 1 } });
    expect([updated.matchedCount, updated.modifiedCount]).toEqual([2, 1]);
    const deleted = await items.deleteMany({ g: 1 });
    expect(deleted.deletedCount).toBe(2);
    expect((await items.deleteOne({ g: 2 })).deletedCount).toBe(1);
  });

  it("when the positional $ operator and arrayFilters are used then the matched elements change", async () => {
    const items = backend.collection("positional");
    await items.insertOne({
      _id: 1,
      grades: [
        { k: "a", v: 1 },
        { k: "b", v: 2 },
      ],
    });
    await items.updateOne({ _id: 1, "grades.k": "b" }, { $set: { "grades.$.v": 20 } });
    await items.updateOne({ _id: 1 }, { $inc: { "grades.$[g].v": 100 } }, { arrayFilters: [{ "g.k": "a" }] });
    expect((await items.findOne({ _id: 1 }))?.grades).toEqual([
      { k: "a", v: 101 },
      { k: "b", v: 20 },
    ]);
  });

  it("when several paths go through the same positional $ then they all update the first matched element", async () => {
    const items = backend.collection("positional_many");
    await items.insertOne({
      _id: 1,
      ids: [
        { t: "a", v: 1 },
        { t: "b", v: 2 },
        { t: "b", v: 3 },
      ],
    });
    await items.updateOne({ _id: 1, "ids.t": "b" }, { $set: { "ids.$.v": 5, "ids.$.w": 6 }, $inc: { "ids.$.n": 1 } });
    expect((await items.findOne({ _id: 1 }))?.ids).toEqual([
      { t: "a", v: 1 },
      { t: "b", v: 5, w: 6, n: 1 },
      { t: "b", v: 3 },
    ]);
  });

  it("when the query does not match inside the array then the positional $ fails with BadValue (2)", async () => {
    const items = backend.collection("positional_none");
    await items.insertOne({ _id: 1, ids: [{ t: "a" }] });
    const error = await rejection(items.updateOne({ _id: 1 }, { $set: { "ids.$.v": 1 } }));
    expect(error.code).toBe(2);
  });
});
