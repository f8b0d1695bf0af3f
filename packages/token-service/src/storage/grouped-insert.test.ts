import { MongoNetworkError, type Collection, type Document } from "mongodb";
import { duplicateKeyOf } from "@roster/runtime";
import { describe, expect, it } from "vitest";
import { useTestMongo } from "../testing.js";
import { createGroupedInsert } from "./grouped-insert.js";

const mongo = useTestMongo();

const indexes = [{ name: "owner_name_unique", key: { owner: 1, name: 1 } }];

const outcome = (promise: Promise<void>) =>
  promise.then(
    () => "stored",
    (err: unknown) => duplicateKeyOf(err)?.keyPattern ?? String(err),
  );

describe("grouped insert", () => {
  it("when one document of a shared insert takes a used key then only its caller fails, with the index's key pattern, and the others are stored", async () => {
    const docs = mongo.db.collection<{ _id: string; owner: string; name: string }>("grouped");
    await docs.createIndex({ owner: 1, name: 1 }, { name: "owner_name_unique", unique: true });
    await docs.insertOne({ _id: "old", owner: "u1", name: "a" });
    const insert = createGroupedInsert(docs, indexes);
    const results = await Promise.all([
      outcome(insert({ _id: "n1", owner: "u2", name: "a" })),
      outcome(insert({ _id: "n2", owner: "u1", name: "a" })),
      outcome(insert({ _id: "n3", owner: "u3", name: "a" })),
    ]);
    expect(results).toEqual(["stored", { owner: 1, name: 1 }, "stored"]);
    expect((await docs.find().sort({ _id: 1 }).toArray()).map((doc) => doc._id)).toEqual(["n1", "n3", "old"]);
  });

  it("when the shared write fails as a whole then every caller in it fails", async () => {
    const writes: number[] = [];
    const failing = {
      insertMany: (batch: Document[]) => {
        writes.push(batch.length);
        return Promise.reject(new MongoNetworkError("connection lost"));
      },
    } as unknown as Collection<{ _id: number }>;
    const insert = createGroupedInsert(failing, indexes);
    const results = await Promise.all([outcome(insert({ _id: 1 })), outcome(insert({ _id: 2 }))]);
    expect(results).toEqual(["MongoNetworkError: connection lost", "MongoNetworkError: connection lost"]);
    expect(writes).toEqual([2]);
  });
});
