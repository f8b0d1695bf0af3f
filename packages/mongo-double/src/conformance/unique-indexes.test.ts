import { Double, Long } from "mongodb";
import { describe, expect, it } from "vitest";
import { rejection, useBackend } from "../testing.js";

const backend = useBackend("conformance_unique");

describe("unique indexes", () => {
  it("when a duplicate is inserted then E11000 carries keyPattern, keyValue and mongod's errmsg", async () => {
    const users = backend.db.collection("dup_shape");
    await users.createIndex({ email: 1 }, { unique: true });
    await users.insertOne({ email: "a@x.io" });
    const error = await rejection(users.insertOne({ email: "a@x.io" }));
    expect(error.code).toBe(11000);
    expect(error.keyPattern).toEqual({ email: 1 });
    expect(error.keyValue).toEqual({ email: "a@x.io" });
    expect(error.message).toBe(
      'E11000 duplicate key error collection: conformance_unique.dup_shape index: email_1 dup key: { email: "a@x.io" }',
    );
  });

  it("when a duplicate _id is inserted then E11000 names the _id_ index", async () => {
    const items = backend.db.collection("dup_id");
    await items.insertOne({ _id: 7 } as never);
    const error = await rejection(items.insertOne({ _id: 7 } as never));
    expect(error.code).toBe(11000);
    expect(error.keyPattern).toEqual({ _id: 1 });
    expect(error.message).toContain("index: _id_ dup key: { _id: 7 }");
  });

  it("when two documents lack the indexed field then the second is a duplicate null key", async () => {
    const items = backend.db.collection("missing_is_null");
    await items.createIndex({ code: 1 }, { unique: true });
    await items.insertOne({ name: "first" });
    const error = await rejection(items.insertOne({ name: "second" }));
    expect(error.code).toBe(11000);
    expect(error.keyValue).toEqual({ code: null });
  });

  it("when the index is sparse then documents without the field do not conflict", async () => {
    const items = backend.db.collection("sparse");
    await items.createIndex({ code: 1 }, { unique: true, sparse: true });
    await items.insertMany([{ name: "a" }, { name: "b" }, { code: 1 }]);
    expect((await rejection(items.insertOne({ code: 1 }))).code).toBe(11000);
  });

  it("when the index has a partialFilterExpression then only matching documents are constrained", async () => {
    const items = backend.db.collection("partial");
    await items.createIndex({ handle: 1 }, { unique: true, partialFilterExpression: { handle: { $exists: true } } });
    await items.insertMany([{ n: 1 }, { n: 2 }, { handle: "h" }]);
    expect((await rejection(items.insertOne({ handle: "h" }))).code).toBe(11000);
  });

  it("when a field holds an array then each element is a key", async () => {
    const items = backend.db.collection("multikey");
    await items.createIndex({ tags: 1 }, { unique: true });
    await items.insertOne({ tags: ["a", "b"] });
    const error = await rejection(items.insertOne({ tags: ["c", "b"] }));
    expect(error.code).toBe(11000);
    expect(error.keyValue).toEqual({ tags: "b" });
  });

  it("when the index is compound then only the full combination must be unique", async () => {
    const items = backend.db.collection("compound");
    await items.createIndex({ tenant: 1, name: 1 }, { unique: true });
    await items.insertMany([
      { tenant: 1, name: "x" },
      { tenant: 2, name: "x" },
    ]);
    const error = await rejection(items.insertOne({ tenant: 1, name: "x" }));
    expect(error.keyPattern).toEqual({ tenant: 1, name: 1 });
    expect(error.keyValue).toEqual({ tenant: 1, name: "x" });
  });

  it("when a compound index covers two fields of one array of documents then each element gives one paired key", async () => {
    const items = backend.collection("same_array");
    await items.createIndex({ "links.target": 1, "links.id": 1 }, { unique: true });
    await items.insertOne({
      _id: 1,
      links: [
        { target: "google", id: "g1" },
        { target: "github", id: "h1" },
      ],
    });
    // Pairs that only a cross product of the two fields would produce are not keys.
    await items.insertOne({ _id: 2, links: [{ target: "google", id: "h1" }] });
    const error = await rejection(items.insertOne({ _id: 3, links: [{ target: "github", id: "h1" }] }));
    expect(error.code).toBe(11000);
  });

  it("when a compound index covers two different arrays of one document then it fails with 171", async () => {
    const items = backend.collection("parallel_arrays");
    await items.createIndex({ a: 1, b: 1 });
    const error = await rejection(items.insertOne({ _id: 1, a: [1, 2], b: [1, 2] }));
    expect(error.code).toBe(171);
    expect(await items.countDocuments()).toBe(0);
    await items.insertOne({ _id: 2, a: [1, 2], b: 1 });
    expect((await rejection(items.updateOne({ _id: 2 }, { $set: { b: [3, 4] } }))).code).toBe(171);
    expect(await items.findOne({ _id: 2 })).toEqual({ _id: 2, a: [1, 2], b: 1 });
    await items.updateOne({ _id: 2 }, { $set: { c: [5, 6] } });
    expect((await rejection(items.createIndex({ a: 1, c: 1 }))).code).toBe(171);
    expect((await items.indexes()).map((index) => index.name)).toEqual(["_id_", "a_1_b_1"]);
  });

  it("when a unique compound index covers two different arrays of one document then it fails with 171", async () => {
    const items = backend.collection("parallel_arrays_unique");
    await items.createIndex({ a: 1, b: 1 }, { unique: true });
    expect((await rejection(items.insertOne({ _id: 1, a: [1, 2], b: [1, 2] }))).code).toBe(171);
    expect(await items.countDocuments()).toBe(0);
    await items.insertOne({ _id: 2, a: [1, 2], b: 1 });
    expect((await rejection(items.updateOne({ _id: 2 }, { $set: { b: [3, 4] } }))).code).toBe(171);
    expect(await items.findOne({ _id: 2 })).toEqual({ _id: 2, a: [1, 2], b: 1 });
    // One array on the index's paths is fine, and a read through the index finds the document by each element.
    expect(await items.find({ a: 2, b: 1 }).hint({ a: 1, b: 1 }).toArray()).toEqual([{ _id: 2, a: [1, 2], b: 1 }]);
  });

  it("when numbers of different BSON types are equal then they are duplicate keys", async () => {
    const items = backend.db.collection("numeric_types");
    await items.createIndex({ n: 1 }, { unique: true });
    await items.insertOne({ n: 5 });
    expect((await rejection(items.insertOne({ n: Long.fromNumber(5) }))).code).toBe(11000);
    expect((await rejection(items.insertOne({ n: new Double(5) }))).code).toBe(11000);
  });

  it("when the index has a strength 2 collation then keys differing only in case are duplicates", async () => {
    const items = backend.db.collection("collation_2");
    await items.createIndex({ name: 1 }, { unique: true, collation: { locale: "en", strength: 2 } });
    await items.insertOne({ name: "Alice" });
    expect((await rejection(items.insertOne({ name: "ALICE" }))).code).toBe(11000);
    await items.insertOne({ name: "Alicé" });
  });

  it("when the index has a strength 1 collation then keys differing in case or accents are duplicates", async () => {
    const items = backend.db.collection("collation_1");
    await items.createIndex({ name: 1 }, { unique: true, collation: { locale: "en", strength: 1 } });
    await items.insertOne({ name: "resume" });
    expect((await rejection(items.insertOne({ name: "Résumé" }))).code).toBe(11000);
  });

  it("when an ordered insertMany hits a duplicate then it stops and writeErrors[0].index names the document", async () => {
    const items = backend.db.collection("ordered_batch");
    await items.createIndex({ k: 1 }, { unique: true });
    const error = await rejection(items.insertMany([{ k: 1 }, { k: 2 }, { k: 1 }, { k: 3 }]));
    const writeErrors = error.writeErrors as Array<{ index: number; code: number }>;
    expect(writeErrors).toHaveLength(1);
    expect(writeErrors[0]!.index).toBe(2);
    expect(writeErrors[0]!.code).toBe(11000);
    expect(await items.countDocuments()).toBe(2);
  });

  it("when an unordered insertMany hits duplicates then the others are inserted and each error has its index", async () => {
    const items = backend.db.collection("unordered_batch");
    await items.createIndex({ k: 1 }, { unique: true });
    const error = await rejection(
      items.insertMany([{ k: 1 }, { k: 1 }, { k: 2 }, { k: 2 }, { k: 3 }], { ordered: false }),
    );
    const writeErrors = error.writeErrors as Array<{ index: number }>;
    expect(writeErrors.map((e) => e.index)).toEqual([1, 3]);
    expect(await items.countDocuments()).toBe(3);
  });

  it("when an update would duplicate a unique key then it fails with 11000 and leaves the document unchanged", async () => {
    const items = backend.collection("update_dup");
    await items.createIndex({ email: 1 }, { unique: true });
    await items.insertMany([
      { _id: 1, email: "a" },
      { _id: 2, email: "b" },
    ]);
    const error = await rejection(items.updateOne({ _id: 2 }, { $set: { email: "a" } }));
    expect(error.code).toBe(11000);
    expect(await items.findOne({ _id: 2 })).toEqual({ _id: 2, email: "b" });
    const top = await rejection(items.findOneAndUpdate({ _id: 2 }, { $set: { email: "a" } }));
    expect(top.code).toBe(11000);
    expect(top.keyValue).toEqual({ email: "a" });
  });

  it("when a unique index is built over existing duplicates then creation fails with 11000", async () => {
    const items = backend.db.collection("build_dup");
    await items.insertMany([{ k: 1 }, { k: 1 }]);
    expect((await rejection(items.createIndex({ k: 1 }, { unique: true }))).code).toBe(11000);
  });
});
