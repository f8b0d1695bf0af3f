import type { Db } from "mongodb";
import { describe, expect, it } from "vitest";
import { createOutboxAuditTrail } from "../domain/audit-trail.js";
import { useTestMongo } from "../testing.js";
import { createAuditOutboxRepository } from "./audit-outbox-repository.js";

const mongo = useTestMongo();

async function recorded(entries: Record<string, number>) {
  const outbox = createAuditOutboxRepository(mongo.db);
  const trail = createOutboxAuditTrail(outbox, () => undefined);
  for (const [userId, count] of Object.entries(entries))
    for (let n = 0; n < count; n++)
      await trail.record({ userId, event: "pat-exchanged", success: true, payload: { n } });
  return outbox;
}

const inOneSecond = () => new Date(Date.now() + 1_000);
const shape = (queues: { userId: string; payload: { n?: unknown } }[][]) =>
  queues.map((queue) => queue.map(({ userId, payload }) => `${userId}${String(payload.n)}`));

describe("audit outbox: claiming queues", () => {
  it("when several users' queues are claimed together then each comes whole up to the limit, in order, and a second claim gets none", async () => {
    const outbox = await recorded({ u1: 3, u2: 1, u3: 2 });
    const queues = await outbox.claimQueues(["u3", "u1", "u2", "nobody"], new Date(), inOneSecond(), 2);
    expect(shape(queues).sort()).toEqual([["u10", "u11"], ["u20"], ["u30", "u31"]]);
    expect(await outbox.claimQueues(["u1", "u2", "u3"], new Date(), inOneSecond(), 2)).toEqual([]);
  });

  it("when one long queue fills the shared read then the users it crowded out are claimed all the same", async () => {
    const outbox = await recorded({ a: 6, b: 2 });
    const queues = await outbox.claimQueues(["a", "b"], new Date(), inOneSecond(), 3);
    expect(shape(queues).sort()).toEqual([
      ["a0", "a1", "a2"],
      ["b0", "b1"],
    ]);
  });

  it("when instances read the same queues before any of them claims then each queue goes to exactly one of them", async () => {
    await recorded({ u1: 1, u2: 1, u3: 1, u4: 1 });
    // Every instance's claim waits until all three have read the queues, so all three try the same heads.
    let arrived = 0;
    let releaseAll = () => {};
    const allRead = new Promise<void>((resolve) => (releaseAll = resolve));
    const instance = () => {
      const real = mongo.db.collection("audit_outbox");
      const outbox = new Proxy(real, {
        get(target, property, receiver) {
          if (property !== "bulkWrite") return Reflect.get(target, property, receiver) as unknown;
          return async (...args: Parameters<typeof real.bulkWrite>) => {
            arrived += 1;
            if (arrived === 3) releaseAll();
            await allRead;
            return real.bulkWrite(...args);
          };
        },
      });
      return createAuditOutboxRepository({ collection: () => outbox } as unknown as Db);
    };
    const claims = await Promise.all(
      [instance(), instance(), instance()].map((store) =>
        store.claimQueues(["u1", "u2", "u3", "u4"], new Date(), inOneSecond(), 5),
      ),
    );
    expect(arrived).toBe(3);
    expect(shape(claims.flat()).sort()).toEqual([["u10"], ["u20"], ["u30"], ["u40"]]);
  });
});
