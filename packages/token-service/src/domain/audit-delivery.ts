import { BackgroundLoop, retryBackoffMs, type Logger } from "@roster/runtime";
import type { AuditOutboxStore, OutboxEntry } from "./audit-trail.js";
import type { PatLogEntry } from "./user-directory.js";

export interface AuditDeliveryDeps {
  store: AuditOutboxStore;
  /** Appends the entry to the user's log in user-service under its idempotency key; throws when it cannot. */
  send(entry: PatLogEntry, requestId: string): Promise<void>;
  /** For a pending entry whose confirmation never came: whether its mutation happened (then it is delivered) or not (dropped). */
  happened(entry: OutboxEntry): Promise<boolean>;
  logger: Logger;
  maxBackoffMs: number;
  idleIntervalMs?: number;
  /** How long a claim on a user's queue lasts; a crashed instance's claim lapses after it. */
  leaseMs?: number;
  now?: () => Date;
}

const usersPerPass = 20;
const entriesPerClaim = 50;

/**
 * Moves audit entries from the outbox to user-service: per user in order,
 * each until user-service accepts it (retried with backoff, across restarts),
 * each under its own idempotency key so a redelivery stores nothing twice.
 * Any number of instances run this; a lease on the head of a user's queue
 * keeps them from interleaving one user's entries, and lapses if its holder dies.
 */
export class AuditDelivery {
  private readonly loop: BackgroundLoop;
  private readonly now: () => Date;

  constructor(private readonly deps: AuditDeliveryDeps) {
    this.now = deps.now ?? (() => new Date());
    // After a pass that delivered, there may be more behind it: the loop goes on at once.
    this.loop = new BackgroundLoop(async () => (await this.drain()) > 0, deps.idleIntervalMs ?? 2_000);
  }

  start(): void {
    this.loop.start();
  }

  /** Runs soon: an entry was just written. */
  readonly wake = (): void => this.loop.wake();

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Delivers what is due for up to `usersPerPass` users; returns how many entries were accepted. */
  async drain(): Promise<number> {
    const users = await this.deps.store.dueUsers(this.now(), usersPerPass).catch((err: unknown) => {
      this.deps.logger.warn({ err: String(err) }, "audit delivery: cannot read the outbox");
      return [];
    });
    let accepted = 0;
    for (const userId of users) {
      if (this.loop.stopped) break;
      accepted += await this.deliverQueue(userId).catch((err: unknown) => {
        this.deps.logger.warn({ userId, err: String(err) }, "audit delivery: cannot update the outbox");
        return 0;
      });
    }
    return accepted;
  }

  private async deliverQueue(userId: string): Promise<number> {
    const now = this.now();
    const queue = await this.deps.store.claimQueue(userId, now, new Date(now.getTime() + (this.deps.leaseMs ?? 60_000)), entriesPerClaim);
    if (queue === undefined) return 0;
    const delivered: string[] = [];
    let failure: { entry: OutboxEntry; err: unknown } | undefined;
    for (const [index, entry] of queue.entries()) {
      if (!entry.confirmed) {
        // Only the claimed head may be settled: a later pending entry still has its mutation running.
        if (index > 0) break;
        if (!(await this.deps.happened(entry))) {
          await this.deps.store.discard(entry.id);
          continue;
        }
      }
      try {
        const { userId: user, event, success, payload } = entry;
        await this.deps.send({ userId: user, event, success, payload }, entry.id);
        delivered.push(entry.id);
      } catch (err) {
        failure = { entry, err };
        break;
      }
    }
    if (delivered.length > 0) await this.deps.store.delivered(delivered);
    if (failure !== undefined) {
      const { entry, err } = failure;
      const delay = retryBackoffMs(entry.attempts, this.deps.maxBackoffMs);
      this.deps.logger.warn({ entryId: entry.id, userId, attempts: entry.attempts + 1, retryInMs: delay, err: String(err) }, "audit entry not delivered yet; will retry");
      await this.deps.store.retryLater(entry.id, new Date(now.getTime() + delay), String(err));
    }
    return delivered.length;
  }
}
