import { randomBytes } from "node:crypto";
import type { Db } from "mongodb";
import type { AuditOutboxStore, OutboxEntry } from "../domain/audit-trail.js";
import { auditOutboxCollection } from "./indexes.js";

interface OutboxDocument extends Omit<OutboxEntry, "id"> {
  _id: string;
  lastError?: string;
  /** Which delivery pass last claimed the entry's queue; only read back when claims raced. */
  claim?: string;
}

const toEntry = ({ _id, lastError: _lastError, claim: _claim, ...rest }: OutboxDocument): OutboxEntry => ({
  id: _id,
  ...rest,
});

/** The fields a confirmation sets: the details merged into `payload`, and the entry marked confirmed. */
const confirmedWith = (payload: Record<string, string | number>): Record<string, unknown> => ({
  ...Object.fromEntries(Object.entries(payload).map(([key, value]) => [`payload.${key}`, value])),
  confirmed: true,
});

/** The most documents one read of several users' queues returns; a user it crowds out reads its own queue. */
const claimReadBound = 1_000;

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
    async claimQueues(userIds, now, leaseUntil, limit) {
      if (userIds.length === 0) return [];
      // One read for every user's queue, in the userId-led index's order; bounded by users × limit and by
      // `claimReadBound` in all, so one long backlog cannot make the read large.
      const bound = Math.min(userIds.length * limit, Math.max(limit, claimReadBound));
      const docs = await outbox
        .find({ userId: { $in: [...userIds] } })
        .sort({ userId: 1, createTime: 1, _id: 1 })
        .limit(bound)
        .toArray();
      const queues = new Map<string, OutboxDocument[]>();
      for (const doc of docs) {
        const queue = queues.get(doc.userId) ?? [];
        if (queue.length < limit) queue.push(doc);
        queues.set(doc.userId, queue);
      }
      // A long queue may have filled the read: a user it crowded out reads its own.
      if (docs.length === bound) {
        for (const userId of userIds.filter((id) => !queues.has(id))) {
          const own = await outbox.find({ userId }).sort({ createTime: 1, _id: 1 }).limit(limit).toArray();
          if (own.length > 0) queues.set(userId, own);
        }
      }
      const due = [...queues.values()].filter((queue) => queue[0]!.nextAttemptTime.getTime() <= now.getTime());
      if (due.length === 0) return [];
      // Compare-and-set on each head's attempt time, all in one write: of racing instances, one claims each queue.
      const claim = randomBytes(8).toString("hex");
      const heads = due.map((queue) => queue[0]!);
      const claimed = await outbox.bulkWrite(
        heads.map((head) => ({
          updateOne: {
            filter: { _id: head._id, nextAttemptTime: head.nextAttemptTime },
            update: { $set: { nextAttemptTime: leaseUntil, claim } },
          },
        })),
        { ordered: false },
      );
      // Only when another instance won some of them is it worth a read to learn which.
      const won =
        claimed.modifiedCount === heads.length
          ? undefined
          : new Set(
              (
                await outbox
                  .find({ _id: { $in: heads.map((head) => head._id) }, claim }, { projection: { _id: 1 } })
                  .toArray()
              ).map((doc) => doc._id),
            );
      return due.filter((queue) => won === undefined || won.has(queue[0]!._id)).map((queue) => queue.map(toEntry));
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
