import type { Db } from "mongodb";
import { describe, expect, it } from "vitest";
import { createOutboxAuditTrail, pendingGraceMs, type OutboxEntry } from "../domain/audit-trail.js";
import { useTestMongo } from "../testing.js";
import { createAuditOutboxRepository } from "./audit-outbox-repository.js";

const mongo = useTestMongo();

async function recorded(entries: Record<string, number>) {
  const outbox = createAuditOutboxRepository(mongo.db);
  // Written by an instance that held them and is gone: its hold has lapsed, so they are due.
  const trail = createOutboxAuditTrail(
    outbox,
    () => undefined,
    () => new Date(Date.now() - pendingGraceMs - 1),
  );
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

describe("audit outbox: a group commit's entries", () => {
  const at = new Date(Date.now() - 1_000);
  const entry = (id: string, userId: string, confirmed = true): OutboxEntry => ({
    id,
    userId,
    event: "pat-exchanged",
    success: true,
    payload: { n: id },
    createTime: at,
    confirmed,
    attempts: 0,
    nextAttemptTime: confirmed ? at : new Date(at.getTime() + 60_000),
  });
  const records = () => mongo.db.collection("audit_outbox").countDocuments();
  const ids = (queues: OutboxEntry[][]) => queues.map((queue) => queue.map((e) => e.id));

  it("when a user's confirmed entries follow one another in a group commit then they are one record, and a pending entry keeps its place between them", async () => {
    const outbox = createAuditOutboxRepository(mongo.db);
    const stored = await outbox.addMany([
      entry("aud_1", "u1"),
      entry("aud_2", "u1"),
      entry("aud_3", "u2"),
      entry("aud_4", "u1", false),
      entry("aud_5", "u1"),
      entry("aud_6", "u1"),
    ]);
    expect(await records()).toBe(4);
    expect(stored.map((e) => [e.id, e.heldIn?.id, e.heldIn?.entries])).toEqual([
      ["aud_1", "aud_1", 2],
      ["aud_2", "aud_1", 2],
      ["aud_3", undefined, undefined],
      ["aud_4", undefined, undefined],
      ["aud_5", "aud_5", 2],
      ["aud_6", "aud_5", 2],
    ]);
    const queues = await outbox.claimQueues(["u1", "u2"], new Date(), inOneSecond(), 10);
    expect(ids(queues).sort()).toEqual([["aud_1", "aud_2", "aud_4", "aud_5", "aud_6"], ["aud_3"]]);
    expect(queues.flat().find((e) => e.id === "aud_4")?.confirmed).toBe(false);
  });

  it("when pending records are confirmed then only those named and still pending change, and each stays held as it was", async () => {
    const outbox = createAuditOutboxRepository(mongo.db);
    await outbox.addMany([entry("aud_1", "u1", false), entry("aud_2", "u1", false), entry("aud_3", "u2")]);
    const before = await mongo.db
      .collection("audit_outbox")
      .find({}, { sort: { _id: 1 } })
      .toArray();
    await outbox.confirmPending(["aud_1", "aud_3", "aud_gone"]);
    const after = await mongo.db
      .collection("audit_outbox")
      .find({}, { sort: { _id: 1 } })
      .toArray();
    expect(after.map((doc) => [doc._id, doc.confirmed])).toEqual([
      ["aud_1", true],
      ["aud_2", false],
      ["aud_3", true],
    ]);
    expect(after.map((doc) => doc.nextAttemptTime)).toEqual(before.map((doc) => doc.nextAttemptTime));
    expect(after[0]!.nextAttemptTime.getTime()).toBe(at.getTime() + 60_000);
  });

  it("when part of a record is delivered then only the rest is claimed again, and when the rest is then the record is gone", async () => {
    const outbox = createAuditOutboxRepository(mongo.db);
    await outbox.addMany(["aud_1", "aud_2", "aud_3"].map((id) => entry(id, "u1")));
    const [first = []] = await outbox.claimQueues(["u1"], new Date(), new Date(), 10);
    await outbox.delivered(first.slice(0, 2));
    const [rest = []] = await outbox.claimQueues(["u1"], new Date(), new Date(), 10);
    expect(rest.map((e) => [e.id, e.payload.n, e.heldIn?.entries])).toEqual([["aud_3", "aud_3", 1]]);
    await outbox.delivered(rest);
    expect(await records()).toBe(0);
  });

  it("when an entry inside a record waits for a retry then its record does, and the whole queue behind it", async () => {
    const outbox = createAuditOutboxRepository(mongo.db);
    await outbox.addMany(["aud_1", "aud_2", "aud_3"].map((id) => entry(id, "u1")));
    const [queue = []] = await outbox.claimQueues(["u1"], new Date(), new Date(), 10);
    const retryAt = new Date(Date.now() + 60_000);
    await outbox.retryLater(queue[1]!, retryAt, "refused");
    expect(await outbox.claimQueues(["u1"], new Date(), inOneSecond(), 10)).toEqual([]);
    const [again = []] = await outbox.claimQueues(["u1"], new Date(retryAt.getTime() + 1), inOneSecond(), 10);
    expect(again.map((e) => [e.id, e.attempts])).toEqual([
      ["aud_1", 1],
      ["aud_2", 1],
      ["aud_3", 1],
    ]);
  });

  it("when backlogs run to many records then a claim takes whole records up to its limit, and one crowded out reads its own", async () => {
    const outbox = createAuditOutboxRepository(mongo.db);
    const run = (userId: string, from: number) =>
      [0, 1, 2].map((i) => entry(`aud_${userId}${String(from + i).padStart(5, "0")}`, userId));
    for (let n = 0; n < 400; n++) await outbox.addMany([...run("a", 3 * n), ...run("b", 3 * n)]);
    await outbox.addMany([entry("aud_c", "c")]);
    const queues = await outbox.claimQueues(["a", "b", "c"], new Date(), inOneSecond(), 500);
    expect(queues.map((queue) => [queue[0]?.userId, queue.length])).toEqual([
      ["a", 501],
      ["b", 501],
      ["c", 1],
    ]);
    expect(queues[1]?.map((e) => e.id).slice(-2)).toEqual(["aud_b00499", "aud_b00500"]);
  });

  it("when a claim's limit falls inside a record then the record comes whole", async () => {
    const outbox = createAuditOutboxRepository(mongo.db);
    await outbox.addMany([entry("aud_0", "u1")]);
    await outbox.addMany(["aud_1", "aud_2", "aud_3"].map((id) => entry(id, "u1")));
    await outbox.addMany([entry("aud_4", "u1")]);
    const queues = await outbox.claimQueues(["u1"], new Date(), inOneSecond(), 2);
    expect(ids(queues)).toEqual([["aud_0", "aud_1", "aud_2", "aud_3"]]);
  });
});

describe("audit outbox: the heads of queues", () => {
  const entry = (id: string, userId: string, createTime: Date): OutboxEntry => ({
    id,
    userId,
    event: "pat-exchanged",
    success: true,
    payload: { n: id },
    createTime,
    confirmed: true,
    attempts: 0,
    nextAttemptTime: createTime,
  });

  it("when heads are read then each user's first record other than those left out comes, and none for a user without one", async () => {
    const outbox = createAuditOutboxRepository(mongo.db);
    const t = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms);
    await outbox.addMany([entry("aud_b", "u1", t(2)), entry("aud_x", "u2", t(9))]);
    await outbox.addMany([entry("aud_a", "u1", t(1))]);
    await outbox.addMany([entry("aud_c", "u1", t(3))]);
    await outbox.addMany([entry("aud_y", "u3", t(5))]);
    const heads = await outbox.queueHeads(["u1", "u2", "u4"], ["aud_a", "aud_x"], t(9));
    expect(heads === undefined ? undefined : Object.fromEntries(heads)).toEqual({
      u1: { createTime: t(2), id: "aud_b" },
    });
    // Records created after `through` are not ahead of anything created by then.
    expect(await outbox.queueHeads(["u1"], ["aud_a"], t(1))).toEqual(new Map());
  });

  it("when user ids order differently in UTF-8 and UTF-16 then every user's head is still read", async () => {
    const outbox = createAuditOutboxRepository(mongo.db);
    const at = new Date();
    // U+FF01 sorts after U+1F600 in UTF-16 (a surrogate pair, from U+D800) but before it in UTF-8, the database's order.
    const [fullwidth, emoji] = ["u\uFF01", "u\u{1F600}"];
    await outbox.addMany([entry("aud_1", fullwidth, at), entry("aud_2", emoji, at)]);
    const heads = await outbox.queueHeads([emoji, fullwidth], [], at);
    expect(heads === undefined ? undefined : Object.fromEntries(heads)).toEqual({
      [fullwidth]: { createTime: at, id: "aud_1" },
      [emoji]: { createTime: at, id: "aud_2" },
    });
  });

  it("when a user's other records are more than one read takes then the heads are left untold", async () => {
    const outbox = createAuditOutboxRepository(mongo.db);
    const at = new Date();
    for (let n = 0; n < 11; n++)
      await outbox.addMany(
        Array.from({ length: 100 }, (_, i) => entry(`aud_${String(n * 100 + i).padStart(5, "0")}`, "a", at)).map(
          // One record each: a pending entry ends a record's run.
          (e) => ({ ...e, confirmed: false }),
        ),
      );
    expect(await outbox.queueHeads(["a", "b"], [], at)).toBeUndefined();
    // Past the last user asked for, the read stops: the backlog of "a" is not read.
    expect(await outbox.queueHeads(["a"], [], at)).toEqual(new Map([["a", { createTime: at, id: "aud_00000" }]]));
    // Records created after `through` are behind whatever asks: not read.
    expect(await outbox.queueHeads(["a", "b"], [], new Date(at.getTime() - 1))).toEqual(new Map());
  });
});
