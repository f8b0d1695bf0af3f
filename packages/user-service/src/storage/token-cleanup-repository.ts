import type { Collection, Db } from "mongodb";
import type { TokenCleanupQueue, TokenCleanupTask } from "../domain/token-cleanup.js";

export const tokenCleanupsCollection = "token_cleanups";

interface TokenCleanupDocument {
  /** The deleted user's id: one task per user, so a repeated enqueue is a no-op. */
  _id: string;
  attempts: number;
  nextAttemptTime: Date;
  createTime: Date;
  lastError?: string;
}

/** The durable outbox of token cleanups after DeleteUser. */
export class TokenCleanupRepository implements TokenCleanupQueue {
  private readonly tasks: Collection<TokenCleanupDocument>;

  constructor(db: Db) {
    this.tasks = db.collection<TokenCleanupDocument>(tokenCleanupsCollection);
  }

  async enqueue(userId: string): Promise<void> {
    const now = new Date();
    await this.tasks.updateOne(
      { _id: userId },
      { $setOnInsert: { attempts: 0, createTime: now }, $set: { nextAttemptTime: now } },
      { upsert: true },
    );
  }

  async claimDue(now: Date, leaseMs: number): Promise<TokenCleanupTask | null> {
    const doc = await this.tasks.findOneAndUpdate(
      { nextAttemptTime: { $lte: now } },
      { $set: { nextAttemptTime: new Date(now.getTime() + leaseMs) } },
      { sort: { nextAttemptTime: 1 }, returnDocument: "after" },
    );
    return doc === null ? null : { userId: doc._id, attempts: doc.attempts };
  }

  async complete(userId: string): Promise<void> {
    await this.tasks.deleteOne({ _id: userId });
  }

  async retryLater(userId: string, at: Date, error: string): Promise<void> {
    await this.tasks.updateOne({ _id: userId }, { $set: { nextAttemptTime: at, lastError: error.slice(0, 500) }, $inc: { attempts: 1 } });
  }

  count(): Promise<number> {
    return this.tasks.countDocuments();
  }
}
