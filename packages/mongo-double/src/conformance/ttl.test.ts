import { describe, expect, it } from "vitest";
import { useBackend } from "../testing.js";

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
});
