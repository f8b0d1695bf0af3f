import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
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

/** A trail whose process holds what it writes and never sends it, as one that died would: the loop takes it up after the hold. */
const trail = () =>
  createOutboxAuditTrail(
    outbox,
    () => undefined,
    () => clock,
  );
const holdOver = () => later(pendingGraceMs + 1);
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
    holdOver();
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
    holdOver();
    const counts = await Promise.all([delivery().drain(), delivery().drain(), delivery().drain()]);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(6);
    expect(sends).toHaveLength(6);
    expect(tokenIds().sort()).toEqual(["u1:t1", "u1:t2", "u2:t1", "u2:t2", "u3:t1", "u3:t2"]);
  });

  it("when an entry is delivered again after a lost reply then user-service's request id keeps one copy", async () => {
    await trail().record(revoked("u1", "t1"));
    holdOver();
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
    holdOver();
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
    holdOver();
    expect(await delivery().drain()).toBe(2);
    expect(tokenIds().sort()).toEqual(["u1:t1", "u3:t3"]);
    const left = await waiting();
    expect(left.map((e) => [e.userId, e.payload.token_id, e.attempts])).toEqual([
      ["u2", "poison", 1],
      ["u2", "t2", 0],
    ]);
  });
});

describe("audit entries handed off by the process that wrote them", () => {
  const running: ReturnType<typeof delivery>[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((d) => d.stop()));
  });
  /** A trail that hands what it writes to a delivery whose loop is not started (a release wakes it for a pass). */
  const handingOff = (happened?: (entry: OutboxEntry) => Promise<boolean>) => {
    const handing = delivery(happened);
    running.push(handing);
    return { delivery: handing, trail: createOutboxAuditTrail(outbox, handing.handOff, () => clock) };
  };
  const stored = () => mongo.db.collection("audit_outbox").countDocuments();
  const due = () => mongo.db.collection("audit_outbox").countDocuments({ nextAttemptTime: { $lte: clock } });

  it("when entries are written then they reach user-service, each user's in order, without the loop reading the outbox, and leave it", async () => {
    const { trail: handing } = handingOff();
    await Promise.all(
      ["u1", "u2"].flatMap((user) => ["t1", "t2", "t3"].map((id) => handing.record(revoked(user, id)))),
    );
    await vi.waitFor(() => expect(accepted.size).toBe(6));
    expect(tokenIds().filter((t) => t.startsWith("u1:"))).toEqual(["u1:t1", "u1:t2", "u1:t3"]);
    expect(sends).toHaveLength(6);
    await vi.waitFor(async () => expect(await stored()).toBe(0));
  });

  it("when a mutation's entry is handed off then user-service gets it with the details the mutation added, and no read settles it", async () => {
    const { trail: handing } = handingOff(() => Promise.reject(new Error("a handed-off entry needs no settling")));
    const result = await handing.around(
      revoked("u1", "t1"),
      async () => ({ name: "ci" }),
      (token) => ({ name: token.name }),
    );
    expect(result).toEqual({ name: "ci" });
    await vi.waitFor(() =>
      expect([...accepted.values()].map((e) => e.payload)).toEqual([{ token_id: "t1", name: "ci" }]),
    );
    await vi.waitFor(async () => expect(await stored()).toBe(0));
  });

  it("when user-service is down then handed-off entries go to the loop, due at once, and arrive in order once it is back", async () => {
    down = true;
    const { trail: handing, delivery: loop } = handingOff();
    for (const id of ["t1", "t2"]) await handing.record(revoked("u1", id));
    // Released, then tried by the loop its release woke: waiting for a retry.
    await vi.waitFor(async () => expect(await stored()).toBe(2));
    await vi.waitFor(() => expect(sends.length).toBeGreaterThanOrEqual(3));
    down = false;
    later(61_000);
    await loop.drain();
    await vi.waitFor(() => expect(tokenIds()).toEqual(["u1:t1", "u1:t2"]));
    await vi.waitFor(async () => expect(await stored()).toBe(0));
  });

  it("when an older entry of the user waits in the outbox then a handed-off entry does not overtake it", async () => {
    // Another instance wrote it and still holds it (or it waits for a retry): it leaves first.
    await trail().record(revoked("u1", "older"));
    later(1);
    const { trail: handing } = handingOff();
    await handing.record(revoked("u1", "newer"));
    await handing.record(revoked("u2", "other"));
    await vi.waitFor(() => expect(tokenIds()).toEqual(["u2:other"]));
    // Released to the loop, behind the older entry, which is not due yet.
    await vi.waitFor(async () => expect(await due()).toBe(1));
    expect(await delivery().drain()).toBe(0);
    holdOver();
    expect(await delivery().drain()).toBe(2);
    expect(tokenIds()).toEqual(["u2:other", "u1:older", "u1:newer"]);
  });

  it("when a mutation still runs then an entry of its user written after it waits behind its entry", async () => {
    const { trail: handing } = handingOff();
    let finish = () => {};
    const running = handing.around(
      revoked("u1", "first"),
      () => new Promise<string>((resolve) => (finish = () => resolve("done"))),
    );
    await vi.waitFor(async () => expect(await stored()).toBe(1));
    later(1);
    await handing.record(revoked("u1", "second"));
    await vi.waitFor(async () => expect(await due()).toBe(1));
    expect(accepted.size).toBe(0);
    finish();
    await running;
    await vi.waitFor(() => expect(tokenIds()).toEqual(["u1:first"]));
    expect(await delivery().drain()).toBe(1);
    expect(tokenIds()).toEqual(["u1:first", "u1:second"]);
  });

  it("when delivery has stopped then what is handed off is released for the loop of whichever instance runs next", async () => {
    const { trail: handing, delivery: stopped } = handingOff();
    await stopped.stop();
    await handing.record(revoked("u1", "t1"));
    await vi.waitFor(async () => expect(await due()).toBe(1));
    expect(sends).toEqual([]);
    expect(await delivery().drain()).toBe(1);
  });
});
