import type { Logger } from "@roster/runtime";
import { BackgroundLoop } from "@roster/runtime/background-loop";
import { retryBackoffMs } from "@roster/runtime/retry-backoff";
import { logEntryOf } from "./pending-logs.js";
import type { AppendLogs, PendingUserLog } from "./user-logs.js";

/**
 * A pending "delete this user's tokens" task, durable until token-service confirms. It holds the
 * deletion's log entry, written before the user is deleted, since the user's document goes.
 */
export interface TokenCleanupTask {
  userId: string;
  attempts: number;
  log?: PendingUserLog;
}

/** How long a task waits for its deletion before a worker may run it: the deleting call makes it due at once. */
export const cleanupGraceMs = 60_000;

export interface TokenCleanupQueue {
  /** Stores a task due after `cleanupGraceMs` holding `log`, unless one is stored already. */
  enqueue(userId: string, log: PendingUserLog): Promise<void>;
  /** Makes the task due at once, holding `log`: its user is deleted, by the call that wrote `log`. */
  release(userId: string, log: PendingUserLog): Promise<void>;
  /** Drops the task's log entry if it is still this one: its deletion did not happen. */
  dropLog(userId: string, logId: string): Promise<void>;
  /** Claims one due task for `leaseMs` (so another process does not run it meanwhile). */
  claimDue(now: Date, leaseMs: number): Promise<TokenCleanupTask | null>;
  complete(userId: string): Promise<void>;
  retryLater(userId: string, at: Date, error: string): Promise<void>;
}

export interface TokenCleanupDeps {
  queue: TokenCleanupQueue;
  /** Asks token-service to delete the user's tokens; throws when it cannot. */
  deleteTokens(userId: string): Promise<void>;
  /** Stores the deletion's log entry (idempotent: once per request id). */
  appendLogs: AppendLogs;
  /** Whether the user still exists: then the delete never happened and the task is dropped. */
  userExists(userId: string): Promise<boolean>;
  logger: Logger;
  idleIntervalMs?: number;
  maxBackoffMs?: number;
}

/**
 * Drains the token-cleanup queue: each task is retried with backoff until
 * token-service confirms, across restarts (the queue is in MongoDB). A task
 * whose user still exists is dropped with its log entry: the deletion never
 * happened. One whose user is gone first stores its log entry, so a deletion
 * whose call died before logging it is logged all the same.
 */
export function createTokenCleanupWorker(deps: TokenCleanupDeps) {
  async function runTask(task: TokenCleanupTask, now: Date): Promise<number> {
    try {
      if (!(await deps.userExists(task.userId))) {
        const entry = task.log === undefined ? undefined : logEntryOf(task.userId, task.log);
        if (entry !== undefined) await deps.appendLogs([entry]);
        await deps.deleteTokens(task.userId);
      }
      await deps.queue.complete(task.userId);
      return 1;
    } catch (err) {
      const delay = retryBackoffMs(task.attempts, deps.maxBackoffMs ?? 300_000);
      deps.logger.warn(
        { userId: task.userId, attempts: task.attempts + 1, retryInMs: delay, err: String(err) },
        "token cleanup failed; will retry",
      );
      await deps.queue.retryLater(task.userId, new Date(now.getTime() + delay), String(err)).catch(() => undefined);
      return 0;
    }
  }

  /** Runs every due task once; bounded so one pass cannot spin forever. */
  async function drain(maxTasks = 100): Promise<number> {
    let done = 0;
    for (let i = 0; i < maxTasks && !loop.stopped; i++) {
      const now = new Date();
      const task = await deps.queue.claimDue(now, 30_000).catch((err: unknown) => {
        deps.logger.warn({ err: String(err) }, "token cleanup: cannot read the queue");
        return null;
      });
      if (task === null) break;
      done += await runTask(task, now);
    }
    return done;
  }

  const loop = new BackgroundLoop(() => drain().then(() => false), deps.idleIntervalMs ?? 2_000);

  return {
    start: () => loop.start(),
    /** Runs soon, e.g. right after a delete enqueued a task. */
    wake: () => loop.wake(),
    stop: () => loop.stop(),
    drain,
  };
}

export type TokenCleanupWorker = ReturnType<typeof createTokenCleanupWorker>;
