import { MongoServerError } from "mongodb";
import { describe, expect, it } from "vitest";
import { rejection, useBackend } from "../testing.js";

const backend = useBackend("conformance_statements");

describe("what mongod 7.0 accepts in a write", () => {
  it("when an update or delete statement carries a field mongod 7.0 does not know (sort) then it fails with 40415 and nothing changes", async () => {
    const items = backend.collection("sorted_update");
    await items.insertMany([
      { _id: 1, x: 1 },
      { _id: 2, x: 2 },
    ]);
    const error = await rejection(items.updateOne({ _id: { $gt: 0 } }, { $inc: { x: 10 } }, { sort: { _id: -1 } }));
    expect(error).toBeInstanceOf(MongoServerError);
    expect(error.code).toBe(40415);
    expect(error.message).toBe("BSON field 'update.updates.sort' is an unknown field.");
    const deleting = await rejection(
      backend.db.command({ delete: "sorted_update", deletes: [{ q: {}, limit: 1, sort: { _id: 1 } }] }),
    );
    expect(deleting.code).toBe(40415);
    expect(await items.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, x: 1 },
      { _id: 2, x: 2 },
    ]);
  });

  it("when an inserted _id is a document with a $-prefixed field then the insert fails with 52 and nothing is written", async () => {
    const items = backend.collection("dollar_id");
    const error = await rejection(items.insertOne({ _id: { $a: 1 } } as never));
    expect(error.code).toBe(52);
    expect(error.message).toContain("_id fields may not contain '$'-prefixed fields: $a is not valid for storage.");
    expect(await items.countDocuments()).toBe(0);
  });

  it("when commands carry let variables then filters, pipelines and updates read them", async () => {
    const items = backend.collection("let");
    await items.insertMany([
      { _id: 1, x: 1 },
      { _id: 2, x: 2 },
      { _id: 3, x: 3 },
    ]);
    const byId = { $expr: { $eq: ["$_id", "$$id"] } };
    expect(await items.find(byId, { let: { id: 2 } }).toArray()).toEqual([{ _id: 2, x: 2 }]);
    const computed = await items
      .aggregate([{ $match: { $expr: { $gt: ["$x", "$$min"] } } }, { $project: { y: { $add: ["$x", "$$plus"] } } }], {
        let: { min: 1, plus: { $add: [10, 5] } },
      })
      .toArray();
    expect(computed).toEqual([
      { _id: 2, y: 17 },
      { _id: 3, y: 18 },
    ]);
    await items.updateOne(byId, [{ $set: { x: "$$value" } }], { let: { id: 1, value: "set" } });
    await items.deleteOne(byId, { let: { id: 3 } });
    expect(await items.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, x: "set" },
      { _id: 2, x: 2 },
    ]);
    const undefinedVariable = await rejection(items.find(byId, { let: { other: 1 } }).toArray());
    expect(undefinedVariable.message).toContain("Use of undefined variable: id");
    const notDocument = await rejection(backend.db.command({ find: "let", let: 5 }));
    expect(notDocument.code).toBe(14);
  });

  it("when a pipeline update replaces the root with a document without _id then the document keeps its _id", async () => {
    const items = backend.collection("replace_root");
    await items.insertOne({ _id: 1, t: { u: { v: 1 } } });
    const result = await items.updateOne({ _id: 1 }, [{ $replaceRoot: { newRoot: "$t" } }, { $addFields: { foo: 1 } }]);
    expect(result.modifiedCount).toBe(1);
    expect(await items.findOne({ _id: 1 })).toEqual({ _id: 1, u: { v: 1 }, foo: 1 });
  });

  it("when a collation names its locale with an underscore (en_US) then findAndModify sorts with it", async () => {
    const items = backend.collection("locale");
    await items.insertMany([
      { _id: 1, x: "ping" },
      { _id: 2, x: "PING" },
      { _id: 3, x: "pong" },
    ]);
    const found = await items.findOneAndDelete(
      { x: "PING" },
      { collation: { locale: "en_US", strength: 2 }, sort: { _id: -1 } },
    );
    expect(found).toEqual({ _id: 2, x: "PING" });
  });
});
