import { describe, expect, it, vi } from "vitest";
import { createOutboxAuditTrail, newEntryId, type AuditOutboxStore, type OutboxEntry } from "./audit-trail.js";

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
  /** How many confirmations each confirmation write carried. */
  const confirmed: number[] = [];
  let failing = false;
  let failingConfirm = false;
  const writeGate = gate();
  const confirmGate = gate();
  const write = async (entries: readonly OutboxEntry[]) => {
    writes.push(entries.map((entry) => String(entry.payload.n)));
    await writeGate.passed();
    if (failing) throw new Error("outbox write failed");
  };
  const store: AuditOutboxStore = {
    add: (entry) => write([entry]),
    addMany: write,
    confirmMany: async (confirmations) => {
      confirmed.push(confirmations.length);
      await confirmGate.passed();
      if (failingConfirm) throw new Error("outbox confirmation failed");
    },
    discard: unused,
    dueUsers: unused,
    claimQueues: unused,
    delivered: unused,
    retryLater: unused,
  };
  let wakes = 0;
  const trail = createOutboxAuditTrail(store, () => (wakes += 1));
  const record = (n: number) => trail.record({ userId: "u1", event: "pat-exchanged", success: true, payload: { n } });
  /** A mutation recorded with `around`; `mutated` lists what ran, and how many writes had completed before it. */
  const mutated: [number, number][] = [];
  const change = (n: number) =>
    trail.around({ userId: "u1", event: "pat-revoked", success: true, payload: { n } }, async () => {
      mutated.push([n, completed]);
      return n;
    });
  let completed = 0;
  const counted = store.addMany;
  store.addMany = async (entries) => {
    await counted(entries);
    completed += 1;
  };
  store.add = async (entry) => {
    await write([entry]);
    completed += 1;
  };
  return {
    writes,
    confirmed,
    record,
    change,
    mutated,
    wakes: () => wakes,
    fail: (value: boolean) => (failing = value),
    failConfirm: (value: boolean) => (failingConfirm = value),
    hold: () => writeGate.hold(),
    holdConfirm: () => confirmGate.hold(),
  };
}

const settled = (promise: Promise<unknown>) =>
  promise.then(
    () => "stored",
    () => "failed",
  );

describe("audit trail group commit", () => {
  it("when entries are recorded while a write is under way then they all go in the next single write", async () => {
    const { writes, record, hold, wakes } = setup();
    const release = hold();
    const first = record(1);
    await Promise.resolve();
    await Promise.resolve();
    const rest = [record(2), record(3), record(4)];
    release();
    await Promise.all([first, ...rest]);
    expect(writes).toEqual([["1"], ["2", "3", "4"]]);
    expect(wakes()).toBe(4);
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

  it("when mutations finish while a confirmation is under way then their confirmations share the next single write", async () => {
    const { confirmed, change, holdConfirm, wakes } = setup();
    const release = holdConfirm();
    const first = change(1);
    await vi.waitFor(() => expect(confirmed).toEqual([1]));
    const rest = [change(2), change(3), change(4)];
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(confirmed).toEqual([1]);
    release();
    expect(await Promise.all([first, ...rest])).toEqual([1, 2, 3, 4]);
    expect(confirmed).toEqual([1, 3]);
    expect(wakes()).toBe(4);
  });

  it("when a confirmation write fails then every mutation in its batch fails, and the next batch is written on its own", async () => {
    const { confirmed, change, holdConfirm, failConfirm } = setup();
    const release = holdConfirm();
    const first = settled(change(1));
    await vi.waitFor(() => expect(confirmed).toEqual([1]));
    const batch = [settled(change(2)), settled(change(3))];
    await new Promise((resolve) => setTimeout(resolve, 10));
    failConfirm(true);
    release();
    expect(await first).toBe("failed");
    expect(await Promise.all(batch)).toEqual(["failed", "failed"]);
    failConfirm(false);
    expect(await settled(change(4))).toBe("stored");
    expect(confirmed).toEqual([1, 2, 1]);
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
