import { randomBytes } from "node:crypto";
import { UserLogEvent, UserLogResult } from "@roster/client/contract";
import type { Logger } from "@roster/runtime";
import { BackgroundLoop } from "@roster/runtime/background-loop";
import type { AppendLogs, NewUserLog, PendingUserLog } from "./user-logs.js";

/** A user's entries written with changes and not yet moved to the log, in the order they were written. */
export interface PendingLogs {
  userId: string;
  entries: PendingUserLog[];
}

/** What moving pending entries needs from the storage of users. */
export interface PendingLogStore {
  /**
   * Drops the entries with these ids from these users' pending entries, in one write (entry ids are
   * random, so an id names one change's entries only); nothing where they are gone.
   */
  clearPendingLogs(userIds: readonly string[], ids: readonly string[]): Promise<void>;
  /** Up to `limit` users holding an entry written before `cutoff`, each with all of its pending entries. */
  pendingLogsBefore(cutoff: Date, limit: number): Promise<PendingLogs[]>;
}

/** A successful change's entry, to be written with it. */
export function pendingLog(
  eventType: UserLogEvent,
  actor: string,
  payload: Record<string, unknown>,
  time: Date,
): PendingUserLog {
  return { id: randomBytes(12).toString("base64url"), eventType, actor, result: UserLogResult.SUCCESS, payload, time };
}

const roleEvents = new Set([UserLogEvent.ROLES_ASSIGNED, UserLogEvent.ROLES_REMOVED]);

/**
 * The log entry a pending entry becomes. A role change writes what it assigned and removed, worked
 * out by the database against the roles the user held; a side that changed nothing becomes no entry.
 */
export function logEntryOf(userId: string, entry: PendingUserLog): NewUserLog | undefined {
  const { roleIds } = entry.payload;
  if (roleEvents.has(entry.eventType) && Array.isArray(roleIds) && roleIds.length === 0) return undefined;
  const { eventType, actor, result, payload } = entry;
  return { userId, eventType, actor, result, payload, requestId: `${entry.id}_${userId}` };
}

export interface PendingLogMoverDeps {
  store: PendingLogStore;
  appendLogs: AppendLogs;
  logger: Logger;
  /** How old an entry must be before the sweep moves it: younger ones are their writer's to move. */
  graceMs?: number;
  /** Between sweeps when there is nothing to move. */
  intervalMs?: number;
  now?: () => Date;
}

/** Users a sweep takes at most. */
const sweepLimit = 100;

/**
 * Moves entries that changes wrote into users' documents to the log. The writer of a change moves
 * its own entries right after the change; a sweep moves what a writer could not (the log write
 * failed, the process died), once it is `graceMs` old. Moving is idempotent: each entry is stored in
 * the log once under its request id, then dropped from the document.
 */
export function createPendingLogMover(deps: PendingLogMoverDeps) {
  const now = deps.now ?? (() => new Date());
  const graceMs = deps.graceMs ?? 10_000;

  async function move(batch: readonly PendingLogs[]): Promise<void> {
    const entries = batch.flatMap(({ userId, entries }) => entries.flatMap((e) => logEntryOf(userId, e) ?? []));
    if (entries.length > 0) await deps.appendLogs(entries);
    const ids = new Set(batch.flatMap(({ entries }) => entries.map((e) => e.id)));
    await deps.store.clearPendingLogs(
      batch.map(({ userId }) => userId),
      [...ids],
    );
  }

  /**
   * Moves the entries a change just wrote. The change and its entries are stored, so the call that
   * made it succeeds even when this fails: the sweep moves them later.
   */
  async function settle(batch: readonly PendingLogs[]): Promise<void> {
    await move(batch).catch((err: unknown) => {
      deps.logger.warn({ err: String(err), users: batch.length }, "user log: entries left for the sweep");
    });
  }

  /**
   * Stores entries held outside a user's document (a deletion's, held by its cleanup task); a
   * failure leaves them to their holder.
   */
  async function record(userId: string, entries: readonly PendingUserLog[]): Promise<void> {
    const logged = entries.flatMap((e) => logEntryOf(userId, e) ?? []);
    await deps.appendLogs(logged).catch((err: unknown) => {
      deps.logger.warn({ err: String(err), userId }, "user log: entries left to their holder");
    });
  }

  /** Moves the entries of up to `sweepLimit` users that have waited `graceMs`; how many users it took. */
  async function sweep(): Promise<number> {
    const due = await deps.store.pendingLogsBefore(new Date(now().getTime() - graceMs), sweepLimit);
    if (due.length > 0) await move(due);
    return due.length;
  }

  const loop = new BackgroundLoop(async () => {
    try {
      return (await sweep()) === sweepLimit;
    } catch (err) {
      deps.logger.warn({ err: String(err) }, "user log: sweep failed; will retry");
      return false;
    }
  }, deps.intervalMs ?? 5_000);

  return { settle, record, sweep, start: () => loop.start(), stop: () => loop.stop() };
}

export type PendingLogMover = ReturnType<typeof createPendingLogMover>;
