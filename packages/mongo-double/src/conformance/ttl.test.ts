import { describe, expect, it } from "vitest";
import { rejection, useBackend } from "../testing.js";

const backend = useBackend("conformance_ttl");

describe("TTL indexes", () => {
  it("when a document's TTL field is older than expireAfterSeconds then the TTL monitor deletes it", async () => {
    const admin = backend.db.admin();
    const { was } = await admin.command({ setParameter: 1, ttlMonitorSleepSecs: 1 });
    try {
      const sessions = backend.collection("sessions");
      await sessions.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
      await sessions.insertMany([
        { _id: "old", expiresAt: new Date(Date.now() - 60_000) },
        { _id: "future", expiresAt: new Date(Date.now() + 3_600_000) },
        { _id: "no-date", expiresAt: "not a date" },
      ]);
      await expect.poll(() => sessions.countDocuments({ _id: "old" }), { timeout: 8_000, interval: 200 }).toBe(0);
      expect(await sessions.countDocuments()).toBe(2);
    } finally {
      await admin.command({ setParameter: 1, ttlMonitorSleepSecs: was });
    }
  }, 15_000);

  it("when collMod changes a TTL index's expireAfterSeconds then listIndexes shows the new value and the old is reported", async () => {
    const logs = backend.collection("ttl_change");
    await logs.createIndex({ at: 1 }, { name: "at_ttl", expireAfterSeconds: 3_600 });
    const reply = await backend.db.command({
      collMod: "ttl_change",
      index: { name: "at_ttl", expireAfterSeconds: 60 },
    });
    expect(reply).toMatchObject({ expireAfterSeconds_old: 3_600, expireAfterSeconds_new: 60 });
    const index = (await logs.listIndexes().toArray()).find((i) => i.name === "at_ttl");
    expect(index?.expireAfterSeconds).toBe(60);
    const missing = await rejection(
      backend.db.command({ collMod: "ttl_change", index: { name: "nope", expireAfterSeconds: 1 } }),
    );
    expect(missing.code).toBe(27);
  });

  it("when an index exists with another expireAfterSeconds then createIndexes fails with IndexOptionsConflict (85)", async () => {
    const logs = backend.collection("ttl_conflict");
    await logs.createIndex({ at: 1 }, { name: "at_ttl", expireAfterSeconds: 3_600 });
    const error = await rejection(logs.createIndex({ at: 1 }, { name: "at_ttl", expireAfterSeconds: 60 }));
    expect(error.code).toBe(85);
  });
});
