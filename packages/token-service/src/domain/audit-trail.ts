import { randomBytes } from "node:crypto";
import type { PatLogEntry } from "./user-directory.js";

/** An audit entry waiting in the outbox to reach user-service. */
export interface OutboxEntry extends PatLogEntry {
  /** Also the idempotency key user-service stores the entry under. */
  id: string;
  createTime: Date;
  /** False while the mutation the entry records may not have happened yet. */
  confirmed: boolean;
  attempts: number;
  nextAttemptTime: Date;
}

/** The outbox in token-service's own database; the only code that speaks MongoDB about it implements it. */
export interface AuditOutboxStore {
  add(entry: OutboxEntry): Promise<void>;
  /** Adds the entries in one write; when it fails, none may be taken as stored. */
  addMany(entries: readonly OutboxEntry[]): Promise<void>;
  /** Marks the entry deliverable now, with `payload` merged into its details. */
  confirm(id: string, payload: Record<string, string | number>): Promise<void>;
  discard(id: string): Promise<void>;
  /** Users with an entry due at `now`, at most `limit`. */
  dueUsers(now: Date, limit: number): Promise<string[]>;
  /**
   * The user's oldest entries (at most `limit`, in order), once the first is
   * due and this caller has claimed it until `leaseUntil`; undefined when it
   * is not due or another instance claimed it first. The claim on the first
   * entry holds the user's whole queue, so entries leave in order.
   */
  claimQueue(userId: string, now: Date, leaseUntil: Date, limit: number): Promise<OutboxEntry[] | undefined>;
  /** Removes entries user-service has accepted. */
  delivered(ids: readonly string[]): Promise<void>;
  retryLater(id: string, at: Date, error: string): Promise<void>;
}

/**
 * Audit entries token-service writes about a user. Each is durable in
 * token-service's database before the call that caused it returns, and
 * leaves for user-service through the outbox (see AuditDelivery).
 */
export interface AuditTrail {
  /** Stores an entry of something that already happened (an exchange, a refusal). */
  record(entry: PatLogEntry): Promise<void>;
  /**
   * Stores the entry of a mutation: pending before `mutate` runs, confirmed
   * (with `details(result)` added) after it returns a result, discarded when
   * it returns undefined (nothing happened). If it throws, or the process
   * dies in between, delivery later asks whether the mutation happened.
   */
  around<T>(
    entry: PatLogEntry,
    mutate: () => Promise<T | undefined>,
    details?: (result: T) => Record<string, string | number>,
  ): Promise<T | undefined>;
}

/** How long a pending entry waits for its confirmation before delivery asks whether its mutation happened. */
export const pendingGraceMs = 60_000;

let sequence = 0;

/**
 * Ids sort in the order this process made them (time, then a counter), so
 * entries of one user written in the same millisecond keep their order; the
 * random tail keeps instances apart.
 */
function newEntryId(at: Date): string {
  sequence = (sequence + 1) % 0x1000000;
  return `aud_${at.getTime().toString(16).padStart(12, "0")}${sequence.toString(16).padStart(6, "0")}${randomBytes(6).toString("hex")}`;
}

/**
 * Group commit: an entry waits while a write is under way, and every entry
 * that arrived meanwhile goes in the next single write, so concurrent calls
 * share one round trip. Each call resolves once the write holding its entry
 * is durable, and rejects when that write failed.
 */
function groupCommit(store: AuditOutboxStore): (entry: OutboxEntry) => Promise<void> {
  let waiting: { entries: OutboxEntry[]; written: Promise<void> } | undefined;
  let writing: Promise<void> = Promise.resolve();
  return (entry) => {
    if (waiting === undefined) {
      const batch = { entries: [entry], written: Promise.resolve() };
      // Starts after the write under way settles, whatever its outcome; the batch is closed to newcomers then.
      batch.written = writing
        .then(
          () => undefined,
          () => undefined,
        )
        .then(() => {
          waiting = undefined;
          return batch.entries.length === 1 ? store.add(entry) : store.addMany(batch.entries);
        });
      waiting = batch;
      writing = batch.written;
      return batch.written;
    }
    waiting.entries.push(entry);
    return waiting.written;
  };
}

/** An AuditTrail over the outbox; `wake` tells delivery there is work. */
export function createOutboxAuditTrail(
  store: AuditOutboxStore,
  wake: () => void,
  now: () => Date = () => new Date(),
): AuditTrail {
  const entryOf = (entry: PatLogEntry, confirmed: boolean): OutboxEntry => {
    const at = now();
    const nextAttemptTime = confirmed ? at : new Date(at.getTime() + pendingGraceMs);
    return { ...entry, id: newEntryId(at), createTime: at, confirmed, attempts: 0, nextAttemptTime };
  };
  const commit = groupCommit(store);
  return {
    async record(entry) {
      await commit(entryOf(entry, true));
      wake();
    },
    async around(entry, mutate, details) {
      const pending = entryOf(entry, false);
      // Concurrent mutations' pending entries (and exchanges' entries) share one durable write.
      await commit(pending);
      // Should `mutate` throw, it may have happened all the same (a reply lost with the
      // connection): the pending entry stays, and delivery settles it after the grace period.
      const result = await mutate();
      if (result === undefined) {
        await store.discard(pending.id).catch(() => undefined);
        return undefined;
      }
      await store.confirm(pending.id, details === undefined ? {} : details(result));
      wake();
      return result;
    },
  };
}
