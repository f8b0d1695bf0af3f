import { pooledRandomBytes } from "./random-pool.js";
import { allOrNothing, shareRoundTrips } from "./shared-round-trips.js";
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
  /**
   * Set when the entry is stored with others of its user's from one group commit, which leave the
   * outbox together: the record holding them, and how many it held when claimed.
   */
  heldIn?: { id: string; entries: number };
}

/** A pending entry whose mutation happened, with the details it adds. */
export interface Confirmation {
  id: string;
  payload: Record<string, string | number>;
}

/** The outbox in token-service's own database; the only code that speaks MongoDB about it implements it. */
export interface AuditOutboxStore {
  add(entry: OutboxEntry): Promise<void>;
  /**
   * Adds the entries in one write; when it fails, none may be taken as stored. A user's confirmed
   * entries that follow one another are stored as one record, which is claimed, retried and
   * removed as one: a busy user's entries cost one write each way per group commit, not one per entry.
   */
  addMany(entries: readonly OutboxEntry[]): Promise<void>;
  /** Marks the entries deliverable now, each with its `payload` merged into its details, in one write. */
  confirmMany(confirmations: readonly Confirmation[]): Promise<void>;
  discard(id: string): Promise<void>;
  /** Users with an entry due at `now`, at most `limit`. */
  dueUsers(now: Date, limit: number): Promise<string[]>;
  /**
   * For each of the users whose first entry is due and whom this caller has
   * claimed until `leaseUntil`, that user's oldest entries in order (whole
   * records, taken while fewer than `limit` entries are); users whose first
   * entry is not due, or whom another instance claimed first, are left out.
   * The claim on the first entry holds the user's whole queue, so entries
   * leave in order.
   */
  claimQueues(userIds: readonly string[], now: Date, leaseUntil: Date, limit: number): Promise<OutboxEntry[][]>;
  /** Removes entries user-service has accepted (of a user's claimed queue, always a prefix). */
  delivered(entries: readonly OutboxEntry[]): Promise<void>;
  /** Puts off the record holding the entry, and so its user's queue, until `at`. */
  retryLater(entry: OutboxEntry, at: Date, error: string): Promise<void>;
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
/** Drawn once per process: time and counter already keep one process's ids apart, this keeps instances apart. */
const instanceTail = pooledRandomBytes(6).toString("hex");

/**
 * Ids sort in the order this process made them (time, then a counter), so
 * entries of one user written in the same millisecond keep their order; the
 * random tail keeps instances apart.
 */
export function newEntryId(at: Date): string {
  sequence = (sequence + 1) % 0x1000000;
  return `aud_${at.getTime().toString(16).padStart(12, "0")}${sequence.toString(16).padStart(6, "0")}${instanceTail}`;
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
    const { userId, event, success, payload } = entry;
    return {
      userId,
      event,
      success,
      payload,
      id: newEntryId(at),
      createTime: at,
      confirmed,
      attempts: 0,
      nextAttemptTime,
    };
  };
  // Group commit: concurrent calls' entries share one durable write, and their confirmations another.
  const commit = shareRoundTrips<OutboxEntry, void>(
    allOrNothing((entries) => (entries.length === 1 ? store.add(entries[0]!) : store.addMany(entries))),
  );
  const confirm = shareRoundTrips<Confirmation, void>(
    allOrNothing((confirmations) => store.confirmMany(confirmations)),
  );
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
      await confirm({ id: pending.id, payload: details === undefined ? {} : details(result) });
      wake();
      return result;
    },
  };
}
