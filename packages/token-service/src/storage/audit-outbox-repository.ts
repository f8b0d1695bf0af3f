import { randomBytes } from "node:crypto";
import type { AnyBulkWriteOperation, Db } from "mongodb";
import type { AuditOutboxStore, OutboxEntry, QueuePlace } from "../domain/audit-trail.js";
import { auditOutboxCollection } from "./indexes.js";

/** An entry inside a record that holds a run of one user's confirmed entries. */
type HeldEntry = Pick<OutboxEntry, "id" | "event" | "success" | "payload" | "createTime">;

/**
 * One entry, or (with `entries`) a run of one user's confirmed entries written by one group commit: the
 * record then carries the first one's id and times, and the queue's state (attempts, lease) for all of them.
 */
type OutboxDocument = Omit<OutboxEntry, "id" | "heldIn" | "event" | "success" | "payload"> &
  Partial<Pick<OutboxEntry, "event" | "success" | "payload">> & {
    _id: string;
    entries?: HeldEntry[];
    lastError?: string;
    /** Which delivery pass last claimed the entry's queue; only read back when claims raced. */
    claim?: string;
  };

const documentOf = ({ id, heldIn: _heldIn, ...rest }: OutboxEntry): OutboxDocument => ({ _id: id, ...rest });
const held = ({ id, event, success, payload, createTime }: OutboxEntry): HeldEntry => ({
  id,
  event,
  success,
  payload,
  createTime,
});

/**
 * A group commit's entries in runs, in order: each user's confirmed entries that follow one another
 * share one record (a pending entry of that user ends the run, so a queue keeps its order).
 */
function runsOf(entries: readonly OutboxEntry[]): OutboxEntry[][] {
  const runs: OutboxEntry[][] = [];
  const open = new Map<string, OutboxEntry[]>();
  for (const entry of entries) {
    const run = entry.confirmed ? open.get(entry.userId) : undefined;
    if (run !== undefined) {
      run.push(entry);
      continue;
    }
    runs.push([entry]);
    if (entry.confirmed) open.set(entry.userId, runs[runs.length - 1]!);
    else open.delete(entry.userId);
  }
  return runs;
}

const recordOf = (run: readonly OutboxEntry[]): OutboxDocument =>
  run.length === 1 ? documentOf(run[0]!) : { ...documentOf(run[0]!), entries: run.map(held) };

const entriesOf = ({ _id, lastError: _lastError, claim: _claim, entries, ...queue }: OutboxDocument): OutboxEntry[] => {
  if (entries === undefined) return [{ id: _id, ...queue } as OutboxEntry];
  const { userId, confirmed, attempts, nextAttemptTime } = queue;
  const heldIn = { id: _id, entries: entries.length };
  return entries.map((entry) => ({ ...entry, userId, confirmed, attempts, nextAttemptTime, heldIn }));
};

const sizeOf = (doc: OutboxDocument) => doc.entries?.length ?? 1;

/** The fields a confirmation sets: the details merged into `payload`, and the entry marked confirmed. */
const confirmedWith = (payload: Record<string, string | number>): Record<string, unknown> => ({
  ...Object.fromEntries(Object.entries(payload).map(([key, value]) => [`payload.${key}`, value])),
  confirmed: true,
});

/** The most entries one read of several users' queues takes; a user it crowds out reads its own queue. */
const claimReadBound = 1_000;
/** The most records one read of queue heads takes: past it, a backlog is long and the heads are left untold. */
const queueHeadsReadBound = 1_000;
/** Records fetched per round trip of a claim's read, which stops as soon as it has enough. */
const readBatch = 32;

/** The `audit_outbox` collection: audit entries until user-service has accepted them. */
export function createAuditOutboxRepository(db: Db): AuditOutboxStore {
  const outbox = db.collection<OutboxDocument>(auditOutboxCollection);
  return {
    async addMany(entries) {
      const runs = runsOf(entries);
      const docs = runs.map(recordOf);
      if (docs.length === 1) await outbox.insertOne(docs[0]!);
      else await outbox.insertMany(docs, { ordered: true });
      return runs.flatMap((run) => {
        if (run.length === 1) return run;
        const heldIn = { id: run[0]!.id, entries: run.length };
        return run.map((entry) => ({ ...entry, heldIn }));
      });
    },
    async confirmMany(confirmations, at) {
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
          updateMany: { filter: { _id: { $in: ids } }, update: { $set: { ...set, nextAttemptTime: at } } },
        })),
        { ordered: false },
      );
    },
    async confirmPending(ids) {
      // A pending entry is alone in its record (see runsOf), so its id is its record's.
      await outbox.updateMany({ _id: { $in: [...ids] }, confirmed: false }, { $set: { confirmed: true } });
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
      // One read for every user's queue, in the userId-led index's order; bounded by users × limit entries and
      // by `claimReadBound` in all, so one long backlog cannot make the read large. A record may hold many
      // entries, so the read goes by batches and stops once it has enough.
      const bound = Math.min(userIds.length * limit, Math.max(limit, claimReadBound));
      const last = [...userIds].sort().at(-1);
      const queues = new Map<string, { docs: OutboxDocument[]; entries: number }>();
      const take = (doc: OutboxDocument) => {
        const queue = queues.get(doc.userId) ?? { docs: [], entries: 0 };
        if (queue.entries < limit) {
          queue.docs.push(doc);
          queue.entries += sizeOf(doc);
        }
        queues.set(doc.userId, queue);
        return queue.entries;
      };
      let read = 0;
      const shared = outbox
        .find({ userId: { $in: [...userIds] } })
        .sort({ userId: 1, createTime: 1, _id: 1 })
        .limit(bound)
        .batchSize(readBatch);
      for await (const doc of shared) {
        read += sizeOf(doc);
        // Past the last user's full queue there is nothing more this claim can use.
        if (take(doc) >= limit && doc.userId === last) break;
        if (read >= bound) break;
      }
      // A long queue may have filled the read: a user it crowded out reads its own.
      if (read >= bound) {
        for (const userId of userIds.filter((id) => !queues.has(id))) {
          const own = outbox.find({ userId }).sort({ createTime: 1, _id: 1 }).limit(limit).batchSize(readBatch);
          for await (const doc of own) if (take(doc) >= limit) break;
        }
      }
      const due = [...queues.values()]
        .map((queue) => queue.docs)
        .filter((queue) => queue[0]!.nextAttemptTime.getTime() <= now.getTime());
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
      return due
        .filter((queue) => won === undefined || won.has(queue[0]!._id))
        .map((queue) => queue.flatMap(entriesOf));
    },
    async queueHeads(userIds, except, through) {
      const heads = new Map<string, QueuePlace>();
      if (userIds.length === 0) return heads;
      // In the userId-led index's order, so each user's first record comes first; bounded, as a backlog can be long.
      // The database orders strings by their UTF-8 bytes, which JavaScript's `<` (UTF-16) does not always agree with.
      const last = userIds.reduce((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b)) >= 0 ? a : b));
      let read = 0;
      const records = outbox
        .find(
          { userId: { $in: [...userIds] }, createTime: { $lte: through }, _id: { $nin: [...except] } },
          { projection: { userId: 1, createTime: 1 } },
        )
        .sort({ userId: 1, createTime: 1, _id: 1 })
        .limit(queueHeadsReadBound)
        .batchSize(queueHeadsReadBound);
      for await (const { _id, userId, createTime } of records) {
        read += 1;
        if (!heads.has(userId)) heads.set(userId, { createTime, id: _id });
        if (userId === last) return heads;
      }
      return read >= queueHeadsReadBound ? undefined : heads;
    },
    async delivered(entries) {
      // A record leaves when all it held was accepted; of one accepted in part, the accepted entries leave it.
      const gone: string[] = [];
      const partly = new Map<string, { ids: string[]; of: number }>();
      for (const { id, heldIn } of entries) {
        if (heldIn === undefined) {
          gone.push(id);
          continue;
        }
        const record = partly.get(heldIn.id) ?? { ids: [], of: heldIn.entries };
        record.ids.push(id);
        partly.set(heldIn.id, record);
      }
      const trims: AnyBulkWriteOperation<OutboxDocument>[] = [];
      for (const [recordId, { ids, of }] of partly) {
        if (ids.length === of) gone.push(recordId);
        else
          trims.push({
            updateOne: { filter: { _id: recordId }, update: { $pull: { entries: { id: { $in: ids } } } } },
          });
      }
      if (trims.length === 0) {
        await outbox.deleteMany({ _id: { $in: gone } });
        return;
      }
      await outbox.bulkWrite([{ deleteMany: { filter: { _id: { $in: gone } } } }, ...trims], { ordered: false });
    },
    async retryLater(entry, at, error) {
      await outbox.updateOne(
        { _id: entry.heldIn?.id ?? entry.id },
        { $set: { nextAttemptTime: at, lastError: error.slice(0, 500) }, $inc: { attempts: 1 } },
      );
    },
  };
}
