import { MongoBulkWriteError, ObjectId, type Db, type Filter } from "mongodb";
import type { NewUserLog, UserLogQuery, UserLogRecord } from "../domain/user-logs.js";
import { stringKey } from "./string-keys.js";

export const userLogsCollection = "user_logs";

/** A stored entry; `_id` is an ObjectId, so ids increase with time and serve as the list cursor. */
export interface UserLogDocument {
  _id: ObjectId;
  userId: string;
  event: number;
  actor: string;
  result: number;
  payload: Record<string, unknown>;
  /** TTL index field: entries expire `USER_LOG_RETENTION_DAYS` after this. */
  createTime: Date;
  /** The sender's idempotency key (unique when present). */
  requestId?: string;
}

function toRecord(doc: UserLogDocument): UserLogRecord {
  return {
    id: doc._id.toHexString(),
    userId: doc.userId,
    eventType: doc.event,
    actor: doc.actor,
    result: doc.result,
    payload: doc.payload,
    createTime: doc.createTime,
  };
}

function filterOf(query: UserLogQuery): Filter<UserLogDocument> {
  const filter: Filter<UserLogDocument> = {};
  if (query.userId !== undefined) filter.userId = query.userId;
  if (query.events !== undefined && query.events.length > 0) filter.event = { $in: query.events };
  if (query.startTime !== undefined || query.endTime !== undefined) {
    filter.createTime = {
      ...(query.startTime === undefined ? {} : { $gte: query.startTime }),
      ...(query.endTime === undefined ? {} : { $lt: query.endTime }),
    };
  }
  return filter;
}

const duplicateKeyCode = 11000;

function documentOf(entry: NewUserLog, now: Date): UserLogDocument {
  return {
    _id: new ObjectId(),
    userId: entry.userId,
    event: entry.eventType,
    actor: entry.actor,
    result: entry.result,
    payload: entry.payload,
    createTime: now,
    ...(entry.requestId === undefined ? {} : { requestId: entry.requestId }),
  };
}

/** Where an ordered bulk insert stopped, and why. */
function firstWriteError(err: unknown): { index: number; code: number } | undefined {
  if (!(err instanceof MongoBulkWriteError)) return undefined;
  const first = Array.isArray(err.writeErrors) ? err.writeErrors[0] : err.writeErrors;
  return first === undefined ? undefined : { index: first.index, code: first.code };
}

function isObjectIdHex(value: string): boolean {
  return /^[0-9a-f]{24}$/.test(value);
}

/** The `user_logs` collection: append-only, read newest first or after a cursor. */
export function createUserLogRepository(db: Db) {
  const logs = db.collection<UserLogDocument>(userLogsCollection);

  /**
   * Stores the entries in order in one write, stopping at the first failure as one insert after
   * another would; an entry whose `requestId` is stored already (a redelivery) is answered with the
   * stored entry, and the entries after it are stored.
   */
  async function appendAll(entries: readonly NewUserLog[], now = new Date()): Promise<UserLogRecord[]> {
    const docs = entries.map((entry) => documentOf(entry, now));
    const records: UserLogRecord[] = [];
    for (let from = 0; from < docs.length; ) {
      const rest = docs.slice(from);
      try {
        await logs.insertMany(rest, { ordered: true });
        records.push(...rest.map(toRecord));
        break;
      } catch (err) {
        const failed = firstWriteError(err);
        if (failed === undefined) throw err;
        records.push(...rest.slice(0, failed.index).map(toRecord));
        const requestId = rest[failed.index]?.requestId;
        const stored =
          failed.code === duplicateKeyCode && requestId !== undefined
            ? await logs.findOne({ requestId: stringKey(requestId) })
            : null;
        if (stored === null) throw err;
        records.push(toRecord(stored));
        from += failed.index + 1;
      }
    }
    return records;
  }

  async function append(entry: NewUserLog, now = new Date()): Promise<UserLogRecord> {
    const [record] = await appendAll([entry], now);
    return record as UserLogRecord;
  }

  /** Newest first, strictly older than `beforeId` when given; `limit + 1` tells whether there is more. */
  async function list(query: UserLogQuery, limit: number, beforeId?: string): Promise<UserLogRecord[]> {
    const filter = filterOf(query);
    if (beforeId !== undefined && isObjectIdHex(beforeId)) filter._id = { $lt: new ObjectId(beforeId) };
    const docs = await logs.find(filter).sort({ _id: -1 }).limit(limit).toArray();
    return docs.map(toRecord);
  }

  function count(query: UserLogQuery, limit?: number): Promise<number> {
    return logs.countDocuments(filterOf(query), limit === undefined ? {} : { limit });
  }

  /** Oldest first, created at or after `since` (served by the userId_createTime index). */
  async function listSince(query: UserLogQuery, since: Date, limit: number): Promise<UserLogRecord[]> {
    const filter = filterOf(query);
    filter.createTime = { ...(filter.createTime as object | undefined), $gte: since };
    const docs = await logs.find(filter).sort({ createTime: 1, _id: 1 }).limit(limit).toArray();
    return docs.map(toRecord);
  }
  return { append, appendAll, list, count, listSince };
}
