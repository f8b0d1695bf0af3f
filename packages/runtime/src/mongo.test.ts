import { useBackend } from "@roster/mongo-double/testing";
import { describe, expect, it } from "vitest";
import {
  duplicateKeyOf,
  ensureIndexes,
  ensureIndexesPresent,
  indexesPresent,
  type CollectionIndexes,
} from "./mongo.js";

const backend = useBackend("runtime_mongo");

const specs = (retentionSeconds: number): CollectionIndexes[] => [
  {
    collection: "entries",
    indexes: [
      { name: "code_unique", key: { code: 1 }, unique: true },
      { name: "at_ttl", key: { at: 1 }, expireAfterSeconds: retentionSeconds },
    ],
  },
];

const ttlOf = async () =>
  (await backend.db.collection("entries").listIndexes().toArray()).find((i) => i.name === "at_ttl")?.expireAfterSeconds;

describe("indexes", () => {
  it("when ensured twice then nothing changes, and when the TTL changes then the index is updated in place", async () => {
    await ensureIndexes(backend.db, specs(3_600));
    await ensureIndexes(backend.db, specs(3_600));
    expect(await ttlOf()).toBe(3_600);
    await ensureIndexes(backend.db, specs(60));
    expect(await ttlOf()).toBe(60);
  });

  it("when an index is dropped then readiness recreates it", async () => {
    await ensureIndexes(backend.db, specs(60));
    await backend.db.collection("entries").dropIndex("code_unique");
    expect(await indexesPresent(backend.db, specs(60))).toBe(false);
    expect(await ensureIndexesPresent(backend.db, specs(60))).toBe(true);
    expect(await indexesPresent(backend.db, specs(60))).toBe(true);
  });

  it("when a unique index is violated then duplicateKeyOf names the key, and other errors are not duplicates", async () => {
    await ensureIndexes(backend.db, specs(60));
    const entries = backend.db.collection("entries");
    await entries.insertOne({ code: "a" });
    const err = await entries.insertOne({ code: "a" }).catch((e: unknown) => e);
    expect(duplicateKeyOf(err)).toEqual({ keyPattern: { code: 1 }, keyValue: { code: "a" } });
    expect(duplicateKeyOf(new Error("x"))).toBeUndefined();
  });
});
