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
  /**
   * Adds the entries in one write; when it fails, none may be taken as stored. A user's confirmed
   * entries that follow one another are stored as one record, which is claimed, retried and
   * removed as one: a busy user's entries cost one write each way per group commit, not one per entry.
   * Returns the entries as stored: those that share a record say so in `heldIn`.
   */
  addMany(entries: readonly OutboxEntry[]): Promise<OutboxEntry[]>;
  /** Marks the records confirmed and due at `at`, each with its `payload` merged into its details, in one write. */
  confirmMany(confirmations: readonly Confirmation[], at: Date): Promise<void>;
  /**
   * Marks the pending records with these ids confirmed, in one write, leaving when they are due as
   * it is: their writer may still be holding them.
   */
  confirmPending(ids: readonly string[]): Promise<void>;
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
  /**
   * Each user's first record in queue order among those created at or before `through`, leaving out
   * the records `except` (in one read, bounded: undefined when those are too many to tell).
   */
  queueHeads(
    userIds: readonly string[],
    except: readonly string[],
    through: Date,
  ): Promise<Map<string, QueuePlace> | undefined>;
  /** Removes entries user-service has accepted (of a user's claimed queue, always a prefix). */
  delivered(entries: readonly OutboxEntry[]): Promise<void>;
  /** Puts off the record holding the entry, and so its user's queue, until `at`. */
  retryLater(entry: OutboxEntry, at: Date, error: string): Promise<void>;
}

/** Where a record or entry stands in its user's queue, which leaves in this order. */
export interface QueuePlace {
  createTime: Date;
  id: string;
}

/** Orders places in a queue: by creation time, then id. */
export const queueOrder = (a: QueuePlace, b: QueuePlace): number =>
  a.createTime.getTime() - b.createTime.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Audit entries token-service writes about a user. Each is durable in
 * token-service's database before the call that caused it returns, and
 * leaves for user-service through the outbox (see AuditDelivery).
 */
export interface AuditTrail {
  /** Stores an entry of something that already happened (an exchange, a refusal). */
  record(entry: PatLogEntry): Promise<void>;
  /**
   * Stores the entry of a mutation: pending before `mutate` runs, handed to
   * delivery (with `details(result)` added) after it returns a result,
   * discarded when it returns undefined (nothing happened). If it throws, or
   * the process dies in between, delivery later asks whether it happened.
   * `mutate` is given the id the entry is stored under, so what it writes can
   * name it (see `markHappened`).
   */
  around<T>(
    entry: PatLogEntry,
    mutate: (entryId: string) => Promise<T | undefined>,
    details?: (result: T) => Record<string, string | number>,
  ): Promise<T | undefined>;
  /**
   * Records that the mutations of these entries, which `around` may still hold
   * pending, happened: for a change about to undo what they did, after which
   * delivery could no longer tell that they had.
   */
  markHappened(entryIds: readonly string[]): Promise<void>;
}

/**
 * How long the process that wrote an entry holds it before the delivery loop may take it up: a
 * pending entry waits this long for its mutation to end before delivery asks whether it happened.
 */
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

/**
 * An AuditTrail over the outbox. Each entry is written held by this process
 * (due only once `pendingGraceMs` has passed), and handed to `handOff` as soon
 * as it is complete: at once for a recorded entry (with the others of its
 * write), after the mutation for one written around a mutation. Delivery
 * sends what it is handed without reading the outbox again, and releases to
 * its loop, due at once, what it cannot send; what a process dies holding,
 * the loop takes up when the hold has lapsed.
 */
export function createOutboxAuditTrail(
  store: AuditOutboxStore,
  handOff: (entries: readonly OutboxEntry[]) => void,
  now: () => Date = () => new Date(),
): AuditTrail {
  const entryOf = (entry: PatLogEntry, confirmed: boolean): OutboxEntry => {
    const at = now();
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
      nextAttemptTime: new Date(at.getTime() + pendingGraceMs),
    };
  };
  // Group commit: concurrent calls' entries share one durable write; the recorded ones are handed off together.
  const commit = shareRoundTrips<OutboxEntry, void>(
    allOrNothing(async (entries) => {
      const recorded = (await store.addMany(entries)).filter((entry) => entry.confirmed);
      if (recorded.length > 0) handOff(recorded);
    }),
  );
  return {
    async record(entry) {
      await commit(entryOf(entry, true));
    },
    async around(entry, mutate, details) {
      const pending = entryOf(entry, false);
      // Concurrent mutations' pending entries (and exchanges' entries) share one durable write.
      await commit(pending);
      // Should `mutate` throw, it may have happened all the same (a reply lost with the
      // connection): the pending entry stays, and delivery settles it after the grace period.
      const result = await mutate(pending.id);
      if (result === undefined) {
        await store.discard(pending.id).catch(() => undefined);
        return undefined;
      }
      const added = details === undefined ? {} : details(result);
      handOff([{ ...pending, confirmed: true, payload: { ...pending.payload, ...added } }]);
      return result;
    },
    async markHappened(entryIds) {
      if (entryIds.length > 0) await store.confirmPending(entryIds);
    },
  };
}
