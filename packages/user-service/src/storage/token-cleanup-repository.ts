import type { Db } from "mongodb";
import { cleanupGraceMs, type TokenCleanupTask } from "../domain/token-cleanup.js";
import type { PendingUserLog } from "../domain/user-logs.js";

export const tokenCleanupsCollection = "token_cleanups";

interface TokenCleanupDocument {
  /** The deleted user's id: one task per user, so a repeated enqueue is a no-op. */
  _id: string;
  attempts: number;
  nextAttemptTime: Date;
  createTime: Date;
  lastError?: string;
  /** The deletion's log entry, stored once the user is found gone. */
  log?: PendingUserLog;
}

/** The durable outbox of token cleanups after DeleteUser. */
export function createTokenCleanupRepository(db: Db) {
  const tasks = db.collection<TokenCleanupDocument>(tokenCleanupsCollection);

  async function enqueue(userId: string, log: PendingUserLog): Promise<void> {
    const now = new Date();
    await tasks.updateOne(
      { _id: userId },
      {
        $setOnInsert: { attempts: 0, createTime: now, log },
        $set: { nextAttemptTime: new Date(now.getTime() + cleanupGraceMs) },
      },
      { upsert: true },
    );
  }

  async function release(userId: string, log: PendingUserLog): Promise<void> {
    await tasks.updateOne({ _id: userId }, { $set: { nextAttemptTime: new Date(), log } });
  }

  async function dropLog(userId: string, logId: string): Promise<void> {
    await tasks.updateOne({ _id: userId, "log.id": logId }, { $unset: { log: "" } });
  }

  async function claimDue(now: Date, leaseMs: number): Promise<TokenCleanupTask | null> {
    const doc = await tasks.findOneAndUpdate(
      { nextAttemptTime: { $lte: now } },
      { $set: { nextAttemptTime: new Date(now.getTime() + leaseMs) } },
      { sort: { nextAttemptTime: 1 }, returnDocument: "after" },
    );
    return doc === null ? null : { userId: doc._id, attempts: doc.attempts, log: doc.log };
  }

  async function complete(userId: string): Promise<void> {
    await tasks.deleteOne({ _id: userId });
  }

  async function retryLater(userId: string, at: Date, error: string): Promise<void> {
    await tasks.updateOne(
      { _id: userId },
      { $set: { nextAttemptTime: at, lastError: error.slice(0, 500) }, $inc: { attempts: 1 } },
    );
  }

  function count(): Promise<number> {
    return tasks.countDocuments();
  }
  return { enqueue, release, dropLog, claimDue, complete, retryLater, count };
}

export type TokenCleanupRepository = ReturnType<typeof createTokenCleanupRepository>;
