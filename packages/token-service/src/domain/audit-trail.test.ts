import { describe, expect, it } from "vitest";
import {
  createOutboxAuditTrail,
  newEntryId,
  pendingGraceMs,
  type AuditOutboxStore,
  type OutboxEntry,
} from "./audit-trail.js";

const unused = () => Promise.reject(new Error("not used by record"));

/** Holds whoever passes it until released. */
function gate() {
  let closed: Promise<void> | undefined;
  return {
    passed: () => closed,
    hold: () => {
      let release = () => {};
      closed = new Promise<void>((resolve) => (release = resolve));
      return () => {
        closed = undefined;
        release();
      };
    },
  };
}

/** An outbox whose writes the test holds open and can fail; it logs each write's entries. */
function setup() {
  const writes: string[][] = [];
  let failing = false;
  const writeGate = gate();
  let completed = 0;
  const write = async (entries: readonly OutboxEntry[]) => {
    writes.push(entries.map((entry) => String(entry.payload.n)));
    await writeGate.passed();
    if (failing) throw new Error("outbox write failed");
    completed += 1;
  };
  const store: AuditOutboxStore = {
    // As the repository does, entries of one user that follow one another share a record (a lone one has its own).
    addMany: async (entries) => {
      await write(entries);
      const heldIn = { id: entries[0]!.id, entries: entries.length };
      return entries.map((entry) => (entry.confirmed && entries.length > 1 ? { ...entry, heldIn } : entry));
    },
    confirmMany: unused,
    confirmPending: unused,
    discard: unused,
    dueUsers: unused,
    claimQueues: unused,
    queueHeads: unused,
    delivered: unused,
    retryLater: unused,
  };
  /** What the trail handed to delivery, a list per hand-off. */
  const handed: OutboxEntry[][] = [];
  const trail = createOutboxAuditTrail(store, (entries) => handed.push([...entries]));
  const record = (n: number) => trail.record({ userId: "u1", event: "pat-exchanged", success: true, payload: { n } });
  /** A mutation recorded with `around`; `mutated` lists what ran, and how many writes had completed before it. */
  const mutated: [number, number][] = [];
  const change = (n: number, outcome: "found" | "nothing" | "throws" = "found") =>
    trail.around(
      { userId: "u1", event: "pat-revoked", success: true, payload: { n } },
      async () => {
        mutated.push([n, completed]);
        if (outcome === "throws") throw new Error("the mutation failed");
        return outcome === "found" ? n : undefined;
      },
      (value) => ({ name: `token ${value}` }),
    );
  return {
    writes,
    handed,
    record,
    change,
    mutated,
    fail: (value: boolean) => (failing = value),
    hold: () => writeGate.hold(),
  };
}

const settled = (promise: Promise<unknown>) =>
  promise.then(
    () => "stored",
    () => "failed",
  );

describe("audit trail group commit", () => {
  it("when entries are recorded while a write is under way then they all go in the next single write", async () => {
    const { writes, record, hold, handed } = setup();
    const release = hold();
    const first = record(1);
    await Promise.resolve();
    await Promise.resolve();
    const rest = [record(2), record(3), record(4)];
    release();
    await Promise.all([first, ...rest]);
    expect(writes).toEqual([["1"], ["2", "3", "4"]]);
    // Each write's entries are handed off together, each with the record it shares.
    expect(handed.map((entries) => entries.map((entry) => [entry.payload.n, entry.heldIn?.entries]))).toEqual([
      [[1, undefined]],
      [
        [2, 3],
        [3, 3],
        [4, 3],
      ],
    ]);
    expect(handed.flat().every((entry) => entry.confirmed && entry.nextAttemptTime > entry.createTime)).toBe(true);
  });

  it("when a record call resolves then the write holding its entry has completed", async () => {
    const { record, hold } = setup();
    const release = hold();
    let done = false;
    const call = record(1).then(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(done).toBe(false);
    release();
    await call;
    expect(done).toBe(true);
  });

  it("when a batch's write fails then every call in it fails, and the next batch is written on its own", async () => {
    const { writes, record, hold, fail } = setup();
    const release = hold();
    const first = settled(record(1));
    await Promise.resolve();
    await Promise.resolve();
    fail(true);
    const batch = [settled(record(2)), settled(record(3))];
    release();
    expect(await first).toBe("failed");
    expect(await Promise.all(batch)).toEqual(["failed", "failed"]);
    fail(false);
    expect(await settled(record(4))).toBe("stored");
    expect(writes).toEqual([["1"], ["2", "3"], ["4"]]);
  });

  it("when mutations start while a write is under way then their pending entries share the next write, and each mutation runs only once it is durable", async () => {
    const { writes, record, change, mutated, hold } = setup();
    const release = hold();
    const first = record(1);
    await Promise.resolve();
    await Promise.resolve();
    const changes = [change(2), change(3), change(4)];
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(mutated).toEqual([]);
    release();
    expect(await Promise.all(changes)).toEqual([2, 3, 4]);
    await first;
    expect(writes).toEqual([["1"], ["2", "3", "4"]]);
    expect(mutated).toEqual([
      [2, 2],
      [3, 2],
      [4, 2],
    ]);
  });

  it("when a mutation returns a result then its entry is handed off confirmed, with the details added, and nothing more is written", async () => {
    const { writes, change, handed } = setup();
    expect(await change(1)).toBe(1);
    expect(writes).toEqual([["1"]]);
    expect(handed).toHaveLength(1);
    expect(handed[0]?.[0]).toMatchObject({ confirmed: true, payload: { n: 1, name: "token 1" } });
    // Held by this process: the delivery loop leaves it alone until the grace has passed.
    expect(handed[0]![0]!.nextAttemptTime.getTime() - handed[0]![0]!.createTime.getTime()).toBe(pendingGraceMs);
  });

  it("when a mutation finds nothing to do or fails then nothing is handed off", async () => {
    const { change, handed } = setup();
    expect(await change(1, "nothing")).toBeUndefined();
    await expect(change(2, "throws")).rejects.toThrow("the mutation failed");
    expect(handed).toEqual([]);
  });
});

describe("audit entry ids", () => {
  it("when entries are made in one millisecond then their ids are distinct and sort in the order they were made", () => {
    const at = new Date("2026-01-01T00:00:00Z");
    const ids = Array.from({ length: 1_000 }, () => newEntryId(at));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(ids.every((id) => /^aud_[0-9a-f]{30}$/.test(id))).toBe(true);
  });
});
