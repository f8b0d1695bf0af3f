import type { Db } from "mongodb";
import type { AuditOutboxStore, OutboxEntry } from "../domain/audit-trail.js";
import { auditOutboxCollection } from "./indexes.js";

interface OutboxDocument extends Omit<OutboxEntry, "id"> {
  _id: string;
  lastError?: string;
}

const toEntry = ({ _id, lastError: _lastError, ...rest }: OutboxDocument): OutboxEntry => ({ id: _id, ...rest });

/** The fields a confirmation sets: the details merged into `payload`, and the entry marked confirmed. */
const confirmedWith = (payload: Record<string, string | number>): Record<string, unknown> => ({
  ...Object.fromEntries(Object.entries(payload).map(([key, value]) => [`payload.${key}`, value])),
  confirmed: true,
});

/** The `audit_outbox` collection: audit entries until user-service has accepted them. */
export function createAuditOutboxRepository(db: Db): AuditOutboxStore {
  const outbox = db.collection<OutboxDocument>(auditOutboxCollection);
  return {
    async add({ id, ...rest }) {
      await outbox.insertOne({ _id: id, ...rest });
    },
    async addMany(entries) {
      await outbox.insertMany(
        entries.map(({ id, ...rest }) => ({ _id: id, ...rest })),
        { ordered: true },
      );
    },
    async confirmMany(confirmations) {
      // Entries with the same details (every create's: none) are confirmed by one updateMany on their ids.
      const byPayload = new Map<string, { set: Record<string, unknown>; ids: string[] }>();
      for (const { id, payload } of confirmations) {
        const key = JSON.stringify(payload);
        const group = byPayload.get(key);
        if (group !== undefined) group.ids.push(id);
        else byPayload.set(key, { set: confirmedWith(payload), ids: [id] });
      }
      await outbox.bulkWrite(
        [...byPayload.values()].map(({ set, ids }) => ({
          updateMany: { filter: { _id: { $in: ids } }, update: { $set: { ...set, nextAttemptTime: new Date() } } },
        })),
        { ordered: false },
      );
    },
    async discard(id) {
      await outbox.deleteOne({ _id: id });
    },
    async dueUsers(now, limit) {
      const due = await outbox
        .find({ nextAttemptTime: { $lte: now } }, { projection: { userId: 1 } })
        .sort({ nextAttemptTime: 1 })
        .limit(limit * 5)
        .toArray();
      return [...new Set(due.map((d) => d.userId))].slice(0, limit);
    },
    async claimQueue(userId, now, leaseUntil, limit) {
      const docs = await outbox.find({ userId }).sort({ createTime: 1, _id: 1 }).limit(limit).toArray();
      const head = docs[0];
      if (head === undefined || head.nextAttemptTime.getTime() > now.getTime()) return undefined;
      // Compare-and-set on the head's attempt time: of racing instances, one claims the queue.
      const claimed = await outbox.updateOne(
        { _id: head._id, nextAttemptTime: head.nextAttemptTime },
        { $set: { nextAttemptTime: leaseUntil } },
      );
      return claimed.modifiedCount === 1 ? docs.map(toEntry) : undefined;
    },
    async delivered(ids) {
      await outbox.deleteMany({ _id: { $in: [...ids] } });
    },
    async retryLater(id, at, error) {
      await outbox.updateOne(
        { _id: id },
        { $set: { nextAttemptTime: at, lastError: error.slice(0, 500) }, $inc: { attempts: 1 } },
      );
    },
  };
}
