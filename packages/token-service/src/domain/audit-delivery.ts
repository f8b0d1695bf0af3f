import type { Logger } from "@roster/runtime";
import { BackgroundLoop } from "@roster/runtime/background-loop";
import { retryBackoffMs } from "@roster/runtime/retry-backoff";
import { isDomainError } from "@roster/runtime/domain-error";
import {
  queueOrder,
  type AuditOutboxStore,
  type Confirmation,
  type OutboxEntry,
  type QueuePlace,
} from "./audit-trail.js";
import type { PatLogEntry } from "./user-directory.js";

/** An entry on its way, with the idempotency key user-service stores it under. */
export interface OutgoingEntry {
  entry: PatLogEntry;
  requestId: string;
}

export interface AuditDeliveryDeps {
  store: AuditOutboxStore;
  /** Appends the entries (at most `entriesPerSend`, in order) to their users' logs in user-service in one call; throws when it cannot. */
  send(entries: readonly OutgoingEntry[]): Promise<void>;
  /** For a pending entry whose confirmation never came: whether its mutation happened (then it is delivered) or not (dropped). */
  happened(entry: OutboxEntry): Promise<boolean>;
  logger: Logger;
  maxBackoffMs: number;
  idleIntervalMs?: number;
  /** How long a claim on a user's queue lasts; a crashed instance's claim lapses after it. */
  leaseMs?: number;
  now?: () => Date;
}

/** The most entries one call to user-service carries (AppendUserLogs' limit). */
export const entriesPerSend = 100;
/** As many users as one call carries entries: a create makes one entry for its user, and a pass claims their queues together. */
const usersPerPass = entriesPerSend;
/** A busy user's backlog (one PAT exchanged over and over) leaves several calls' worth per claim. */
const entriesPerClaim = 5 * entriesPerSend;
/** How many times one pass claims a user's queue while its claims come back full. */
const claimsPerPass = 4;

/** Handed-off entries one pass takes at most, sent in calls of `entriesPerSend`: as many as a claim. */
const entriesPerHandOff = entriesPerClaim;
/**
 * The most handed-off entries waiting for the pass before theirs; past it, entries go to the loop
 * (see `handOff`), so a user-service slower than the writes cannot grow the memory they take.
 */
const maxHandedOff = 10 * entriesPerHandOff;

/** A user's claimed entries that are ready to leave, in order. */
interface ReadyQueue {
  userId: string;
  entries: OutboxEntry[];
}

/**
 * Moves audit entries from the outbox to user-service: per user in order,
 * each until user-service accepts it (retried with backoff, across restarts),
 * each under its own idempotency key so a redelivery stores nothing twice.
 * A pass sends what it claimed for several users in calls of up to
 * `entriesPerSend` entries; a call that fails is retried entry by entry, so
 * one entry user-service refuses holds up only its own user's queue.
 * Any number of instances run this; a lease on the head of a user's queue
 * keeps them from interleaving one user's entries, and lapses if its holder dies.
 */
export function createAuditDelivery(deps: AuditDeliveryDeps) {
  const now = deps.now ?? (() => new Date());
  // After a pass that delivered, there may be more behind it: the loop goes on at once.
  const loop = new BackgroundLoop(async () => (await drain()) > 0, deps.idleIntervalMs ?? 2_000);

  /**
   * Delivers what is due for up to `usersPerPass` users; returns how many entries were accepted. A user whose
   * claim came back full has more behind it: it is claimed again, up to `claimsPerPass` times, so a busy
   * user's backlog leaves at the pace of the calls to user-service rather than one call's worth per pass.
   */
  async function drain(): Promise<number> {
    const users = await deps.store.dueUsers(now(), usersPerPass).catch((err: unknown) => {
      deps.logger.warn({ err: String(err) }, "audit delivery: cannot read the outbox");
      return [];
    });
    let accepted = 0;
    let round = users;
    for (let claims = 0; claims < claimsPerPass && round.length > 0 && !loop.stopped; claims += 1) {
      const at = now();
      // The users' queues are claimed together: one read and one write for all of them.
      const leaseUntil = new Date(at.getTime() + (deps.leaseMs ?? 60_000));
      const queues = await deps.store.claimQueues(round, at, leaseUntil, entriesPerClaim).catch((err: unknown) => {
        deps.logger.warn({ err: String(err) }, "audit delivery: cannot update the outbox");
        return [];
      });
      const ready: ReadyQueue[] = [];
      const more: string[] = [];
      for (const queue of queues) {
        if (loop.stopped) break;
        const userId = queue[0]?.userId ?? "";
        const entries = await readyEntries(queue).catch((err: unknown) => {
          deps.logger.warn({ userId, err: String(err) }, "audit delivery: cannot update the outbox");
          return [];
        });
        if (entries.length > 0) ready.push({ userId, entries });
        if (queue.length >= entriesPerClaim && entries.length === queue.length) more.push(userId);
      }
      accepted += await deliver(ready, at).catch((err: unknown) => {
        deps.logger.warn({ err: String(err) }, "audit delivery: cannot update the outbox");
        return 0;
      });
      // A queue that failed is no longer due (its head waits for its retry): claiming it again finds nothing.
      round = more;
    }
    return accepted;
  }

  /** Settles the pending head of a claimed queue; what may leave now, in order. */
  async function readyEntries(queue: readonly OutboxEntry[]): Promise<OutboxEntry[]> {
    const ready: OutboxEntry[] = [];
    for (const [index, entry] of queue.entries()) {
      if (!entry.confirmed) {
        // Only the claimed head may be settled: a later pending entry still has its mutation running.
        if (index > 0) break;
        if (!(await deps.happened(entry))) {
          await deps.store.discard(entry.id);
          continue;
        }
      }
      ready.push(entry);
    }
    return ready;
  }

  /**
   * Sends the ready queues in calls of up to `entriesPerSend` entries (a long queue over several calls, in
   * order), then removes what was accepted in one write: until then every claimed head keeps its lease, so
   * no other instance sends a queue this one is still sending. A call that fails goes again entry by entry;
   * the first entry of a user refused (every queue's next entry, when user-service is unreachable) waits for
   * its retry, and nothing after it in that user's queue leaves in this pass.
   */
  async function deliver(ready: ReadyQueue[], now: Date): Promise<number> {
    const accepted: OutboxEntry[] = [];
    const waiting = new Set<string>();
    const refused = async (entry: OutboxEntry, err: unknown) => {
      waiting.add(entry.userId);
      await retryLater(entry, err, now);
    };
    try {
      for (const batch of batches(ready)) {
        const live = batch.filter((queue) => !waiting.has(queue.userId));
        const all = live.flatMap((queue) => queue.entries);
        if (all.length === 0) continue;
        try {
          await deps.send(all.map(outgoing));
          accepted.push(...all);
          continue;
        } catch (err) {
          // user-service is down or slow: every queue waits, without a call per entry to find out again.
          if (all.length === 1 || unreachable(err)) {
            for (const queue of live) await refused(queue.entries[0] as OutboxEntry, err);
            continue;
          }
        }
        for (const queue of live) {
          for (const entry of queue.entries) {
            try {
              await deps.send([outgoing(entry)]);
              accepted.push(entry);
            } catch (err) {
              await refused(entry, err);
              break;
            }
          }
        }
      }
    } finally {
      if (accepted.length > 0) await deps.store.delivered(accepted);
    }
    return accepted.length;
  }

  async function retryLater(entry: OutboxEntry, err: unknown, now: Date): Promise<void> {
    const delay = retryBackoffMs(entry.attempts, deps.maxBackoffMs);
    deps.logger.warn(
      { entryId: entry.id, userId: entry.userId, attempts: entry.attempts + 1, retryInMs: delay, err: String(err) },
      "audit entry not delivered yet; will retry",
    );
    await deps.store.retryLater(entry, new Date(now.getTime() + delay), String(err));
  }

  /**
   * Entries this process wrote and holds (see createOutboxAuditTrail): sent straight on, one call at a
   * time, without reading them back. An entry would overtake its user's queue if a record older than it
   * is still there (another instance's, one waiting for a retry, a mutation still running): such entries,
   * and those a call fails to deliver, are released to the loop instead, due at once, behind that record.
   */
  const handedOff: OutboxEntry[][] = [];
  let handedOffCount = 0;
  let handing: Promise<void> | undefined;

  function handOff(entries: readonly OutboxEntry[]): void {
    if (loop.stopped || handedOffCount >= maxHandedOff) {
      void release(entries);
      return;
    }
    handedOff.push([...entries]);
    handedOffCount += entries.length;
    // One pass at a time, each taking what was handed off while the one before it ran.
    handing ??= sendHandedOff();
  }

  async function sendHandedOff(): Promise<void> {
    try {
      while (handedOff.length > 0) {
        // Whole groups, so a record's entries (one group commit's) leave in one pass.
        const pass: OutboxEntry[] = [];
        while (handedOff.length > 0 && pass.length < entriesPerHandOff) pass.push(...handedOff.shift()!);
        handedOffCount -= pass.length;
        if (loop.stopped) await release(pass);
        else await deliverHandedOff(pass);
      }
    } finally {
      handing = undefined;
    }
  }

  async function deliverHandedOff(pass: OutboxEntry[]): Promise<void> {
    const records = [...new Set(pass.map((entry) => entry.heldIn?.id ?? entry.id))];
    // A record created after every entry of the pass is behind them all, whoever wrote it.
    const through = new Date(Math.max(...pass.map((entry) => entry.createTime.getTime())));
    const heads = await deps.store
      .queueHeads([...new Set(pass.map((entry) => entry.userId))], records, through)
      .catch((err: unknown) => {
        deps.logger.warn({ err: String(err) }, "audit delivery: cannot read the outbox");
        return undefined;
      });
    if (heads === undefined) return release(pass);
    // A queue is in the order of its records (see queueOrder); the entries a record holds follow its place.
    const places = new Map(pass.map((entry): [string, QueuePlace] => [entry.id, entry]));
    const placeOf = (entry: OutboxEntry) => places.get(entry.heldIn?.id ?? entry.id) ?? entry;
    const sendable: OutboxEntry[] = [];
    const behind: OutboxEntry[] = [];
    for (const entry of pass.sort((a, b) => queueOrder(placeOf(a), placeOf(b)) || queueOrder(a, b))) {
      const head = heads.get(entry.userId);
      (head !== undefined && queueOrder(head, placeOf(entry)) < 0 ? behind : sendable).push(entry);
    }
    const accepted: OutboxEntry[] = [];
    for (let from = 0; from < sendable.length; from += entriesPerSend) {
      const call = sendable.slice(from, from + entriesPerSend);
      try {
        await deps.send(call.map(outgoing));
        accepted.push(...call);
      } catch (err) {
        deps.logger.warn(
          { entries: sendable.length - from, err: String(err) },
          "audit delivery: handing entries to the loop",
        );
        behind.push(...sendable.slice(from));
        break;
      }
    }
    // Should the removal fail, the entries wait out their hold and are delivered again: stored once, by request id.
    if (accepted.length > 0) {
      await deps.store.delivered(accepted).catch((err: unknown) => {
        deps.logger.warn({ err: String(err) }, "audit delivery: cannot update the outbox");
      });
    }
    if (behind.length > 0) await release(behind);
  }

  /** Makes the entries' records due now, confirmed with their details, for the loop; when that fails, they wait out their hold. */
  async function release(entries: readonly OutboxEntry[]): Promise<void> {
    const records = new Map<string, Confirmation>();
    for (const entry of entries) {
      const id = entry.heldIn?.id ?? entry.id;
      // A record of several entries holds recorded ones only, complete as written.
      if (!records.has(id)) records.set(id, { id, payload: entry.heldIn === undefined ? entry.payload : {} });
    }
    try {
      await deps.store.confirmMany([...records.values()], now());
      loop.wake();
    } catch (err) {
      deps.logger.warn({ err: String(err) }, "audit delivery: cannot update the outbox");
    }
  }

  return {
    start(): void {
      loop.start();
    },
    /** Takes entries the trail has just written and holds (see createOutboxAuditTrail). */
    handOff,
    /** Stops the loop; entries handed off and not yet sent are released for whichever instance runs next. */
    async stop(): Promise<void> {
      await loop.stop();
      await handing;
    },
    drain,
  };
}

export type AuditDelivery = ReturnType<typeof createAuditDelivery>;

const unreachable = (err: unknown) => isDomainError(err) && err.kind === "unavailable";

const outgoing = ({ id, userId, event, success, payload }: OutboxEntry): OutgoingEntry => ({
  entry: { userId, event, success, payload },
  requestId: id,
});

/** The ready queues in calls of at most `entriesPerSend` entries, in order; a queue longer than a call's room goes on in the next. */
function batches(ready: ReadyQueue[]): ReadyQueue[][] {
  const out: ReadyQueue[][] = [];
  let current: ReadyQueue[] = [];
  let size = 0;
  for (const { userId, entries } of ready) {
    for (let from = 0; from < entries.length; ) {
      if (size === entriesPerSend) {
        out.push(current);
        current = [];
        size = 0;
      }
      const part = entries.slice(from, from + entriesPerSend - size);
      current.push({ userId, entries: part });
      size += part.length;
      from += part.length;
    }
  }
  if (current.length > 0) out.push(current);
  return out;
}
