import { beforeEach, describe, expect, it } from "vitest";
import { createAuditOutboxRepository } from "../storage/audit-outbox-repository.js";
import { silentLogger, useTestMongo } from "../testing.js";
import { createAuditDelivery } from "./audit-delivery.js";
import { createOutboxAuditTrail, pendingGraceMs, type AuditOutboxStore, type OutboxEntry } from "./audit-trail.js";
import type { PatLogEntry } from "./user-directory.js";

const mongo = useTestMongo();
let outbox: AuditOutboxStore;
let clock: Date;
/** What user-service stored, by request id, as AppendUserLog with a unique request id would. */
let accepted: Map<string, PatLogEntry>;
let sends: string[];
let batchSizes: number[];
let down: boolean;

beforeEach(() => {
  outbox = createAuditOutboxRepository(mongo.db);
  clock = new Date();
  accepted = new Map();
  sends = [];
  batchSizes = [];
  down = false;
});

function delivery(happened: (entry: OutboxEntry) => Promise<boolean> = async () => true) {
  return createAuditDelivery({
    store: outbox,
    async send(entries) {
      batchSizes.push(entries.length);
      sends.push(...entries.map((e) => e.requestId));
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (down) throw new Error("user-service is unavailable");
      const refused = entries.find((e) => e.entry.payload.token_id === "poison");
      if (refused !== undefined) throw new Error("user-service refuses the entry");
      for (const { entry, requestId } of entries) if (!accepted.has(requestId)) accepted.set(requestId, entry);
    },
    happened,
    logger: silentLogger,
    maxBackoffMs: 60_000,
    now: () => clock,
  });
}

const trail = () =>
  createOutboxAuditTrail(
    outbox,
    () => undefined,
    () => clock,
  );
const revoked = (userId: string, tokenId: string): PatLogEntry => ({
  userId,
  event: "pat-revoked",
  success: true,
  payload: { token_id: tokenId },
});
const later = (ms: number) => (clock = new Date(clock.getTime() + ms));
const tokenIds = () => [...accepted.values()].map((e) => `${e.userId}:${e.payload.token_id}`);

describe("audit delivery", () => {
  it("when user-service is down then entries wait, and once it is back they are delivered in order and removed", async () => {
    for (const id of ["t1", "t2", "t3"]) await trail().record(revoked("u1", id));
    down = true;
    expect(await delivery().drain()).toBe(0);
    down = false;
    expect(await delivery().drain()).toBe(0); // backing off
    later(61_000);
    expect(await delivery().drain()).toBe(3);
    expect(tokenIds()).toEqual(["u1:t1", "u1:t2", "u1:t3"]);
    expect(await mongo.db.collection("audit_outbox").countDocuments()).toBe(0);
  });

  it("when several instances deliver at once then each entry is sent by one of them, once", async () => {
    for (const user of ["u1", "u2", "u3"]) for (const id of ["t1", "t2"]) await trail().record(revoked(user, id));
    const counts = await Promise.all([delivery().drain(), delivery().drain(), delivery().drain()]);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(6);
    expect(sends).toHaveLength(6);
    expect(tokenIds().sort()).toEqual(["u1:t1", "u1:t2", "u2:t1", "u2:t2", "u3:t1", "u3:t2"]);
  });

  it("when an entry is delivered again after a lost reply then user-service's request id keeps one copy", async () => {
    await trail().record(revoked("u1", "t1"));
    const [[entry] = []] = await outbox.claimQueues(["u1"], clock, new Date(clock.getTime() + 1_000), 10);
    if (entry === undefined) throw new Error("no entry");
    // The first delivery reached user-service, but its reply was lost: the entry is still in the outbox.
    accepted.set(entry.id, entry);
    later(1_001);
    expect(await delivery().drain()).toBe(1);
    expect(sends).toEqual([entry.id]);
    expect(accepted.size).toBe(1);
  });

  it("when a change's confirmation never came then its entry is delivered if the change happened and dropped if not", async () => {
    const crashed = async (tokenId: string) => {
      // The process died inside the mutation: the pending entry is all that is left.
      await trail()
        .around(revoked("u1", tokenId), () => new Promise<never>((_resolve, reject) => reject(new Error("crash"))))
        .catch(() => undefined);
    };
    await crashed("gone");
    await crashed("kept");
    await trail().record(revoked("u1", "after"));
    expect(await delivery().drain()).toBe(0); // the pending head holds the user's queue in order
    later(pendingGraceMs + 1);
    const happened = async (entry: OutboxEntry) => entry.payload.token_id === "gone";
    while ((await delivery(happened).drain()) > 0 || (await mongo.db.collection("audit_outbox").countDocuments()) > 0)
      later(1);
    expect(tokenIds()).toEqual(["u1:gone", "u1:after"]);
  });

  it("when several users have entries due then one call carries them all, each user's in order", async () => {
    for (const user of ["u1", "u2", "u3"]) for (const id of ["t1", "t2", "t3"]) await trail().record(revoked(user, id));
    expect(await delivery().drain()).toBe(9);
    expect(batchSizes).toEqual([9]);
    expect(tokenIds().filter((t) => t.startsWith("u2:"))).toEqual(["u2:t1", "u2:t2", "u2:t3"]);
    expect(await mongo.db.collection("audit_outbox").countDocuments()).toBe(0);
  });

  /** What the outbox still holds, oldest first, each entry with its record's attempts. */
  const waiting = async () =>
    (
      await mongo.db
        .collection("audit_outbox")
        .find({}, { sort: { createTime: 1, _id: 1 } })
        .toArray()
    ).flatMap((record) =>
      ((record.entries as { payload: PatLogEntry["payload"] }[] | undefined) ?? [record]).map(({ payload }) => ({
        userId: record.userId as string,
        payload,
        attempts: record.attempts as number,
      })),
    );

  /** `count` confirmed entries of one user, due now, oldest first. */
  const backlog = async (count: number, poison?: number) => {
    const entries = Array.from({ length: count }, (_, i) => ({
      id: `aud_${String(i).padStart(6, "0")}`,
      ...revoked("u1", i === poison ? "poison" : `t${i}`),
      createTime: new Date(clock.getTime() + i),
      confirmed: true,
      attempts: 0,
      nextAttemptTime: clock,
    }));
    await outbox.addMany(entries);
    later(count);
    return entries.map((e) => `u1:${e.payload.token_id}`);
  };

  it("when one user's backlog is several calls long then one pass delivers it all, in order, in calls of at most 100", async () => {
    const expected = await backlog(1_200);
    expect(await delivery().drain()).toBe(1_200);
    expect(batchSizes).toEqual(Array.from({ length: 12 }, () => 100));
    expect(tokenIds()).toEqual(expected);
    expect(await mongo.db.collection("audit_outbox").countDocuments()).toBe(0);
  });

  it("when an entry in the second call of a user's backlog is refused then what precedes it leaves and the rest waits behind it", async () => {
    const expected = await backlog(150, 120);
    expect(await delivery().drain()).toBe(120);
    expect(tokenIds()).toEqual(expected.slice(0, 120));
    // The backlog was one group commit, so one record: what was accepted left it, and it waits for its retry.
    const left = await waiting();
    expect(left).toHaveLength(30);
    expect([left[0]?.payload.token_id, left[0]?.attempts, left[29]?.payload.token_id]).toEqual(["poison", 1, "t149"]);
    later(61_000);
    const sent = sends.length;
    expect(await delivery().drain()).toBe(0);
    expect(sends.slice(sent)[0]).toBe("aud_000120");
  });

  it("when user-service refuses one entry of a batch then the other users' entries are delivered and only that user's queue waits", async () => {
    await trail().record(revoked("u1", "t1"));
    await trail().record(revoked("u2", "poison"));
    await trail().record(revoked("u2", "t2"));
    await trail().record(revoked("u3", "t3"));
    expect(await delivery().drain()).toBe(2);
    expect(tokenIds().sort()).toEqual(["u1:t1", "u3:t3"]);
    const left = await waiting();
    expect(left.map((e) => [e.userId, e.payload.token_id, e.attempts])).toEqual([
      ["u2", "poison", 1],
      ["u2", "t2", 0],
    ]);
  });
});
