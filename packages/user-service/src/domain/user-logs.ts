import { EventEmitter } from "node:events";
import type { UserLogEvent, UserLogResult } from "@roster/client/contract";
import { invalidField } from "@roster/runtime/domain-error";
import { checkFreeForm } from "./custom-data.js";
import { countedPage, decodePageToken, listedBefore, maxCountedMatches, pageSizeOf } from "@roster/runtime/page-token";

/** A user-log entry as the domain asks for it; storage adds the id and time. */
export interface NewUserLog {
  userId: string;
  eventType: UserLogEvent;
  /** The acting credential's id (Caller id), or "system" for background work. */
  actor: string;
  result: UserLogResult;
  /** Safe details only: never a secret, password, digest or token. */
  payload: Record<string, unknown>;
  /** The sender's idempotency key: at most one entry is stored per key. */
  requestId?: string;
}

/**
 * An entry written into the user's document in the same write as the change it records, so the
 * change is never stored without it; it is moved to the log right after (see pending-logs.ts). Its
 * user is the document's.
 */
export interface PendingUserLog {
  /** Random: the log stores the entry under request id `${id}_${userId}`, so moving it twice stores it once. */
  id: string;
  eventType: UserLogEvent;
  actor: string;
  result: UserLogResult;
  payload: Record<string, unknown>;
  /** When the change was written. */
  time: Date;
}

/** Appends one entry to a user's audit trail. */
export type AppendLog = (entry: NewUserLog) => Promise<void>;

/** Appends entries, of one user or many, in order, in one write. */
export type AppendLogs = (entries: readonly NewUserLog[]) => Promise<void>;

/** `append` taking an entry's fields in order, for code that logs several kinds of events. */
export const positionalLog =
  (append: AppendLog) =>
  (userId: string, eventType: UserLogEvent, result: UserLogResult, actor: string, payload: Record<string, unknown>) =>
    append({ userId, eventType, actor, result, payload });

/** A stored entry; ids are opaque strings that increase with time. */
export interface UserLogRecord extends Omit<NewUserLog, "requestId"> {
  id: string;
  createTime: Date;
}

export interface UserLogQuery {
  userId?: string;
  events?: number[];
  startTime?: Date;
  endTime?: Date;
}

/** What the log book needs from storage. */
export interface UserLogStore {
  /** Stores the entry; with a `requestId` already stored, returns that entry instead. */
  append(entry: NewUserLog): Promise<UserLogRecord>;
  /** Stores the entries in order, as `append` one after another would, in one write where it can. */
  appendAll(entries: readonly NewUserLog[]): Promise<UserLogRecord[]>;
  list(query: UserLogQuery, limit: number, beforeId?: string): Promise<UserLogRecord[]>;
  /** How many entries match, counting at most `limit` when given. */
  count(query: UserLogQuery, limit?: number): Promise<number>;
  /** Entries created at or after `since`, oldest first. */
  listSince(query: UserLogQuery, since: Date, limit: number): Promise<UserLogRecord[]>;
}

export const maxPayloadBytes = 8_192;
const watchBatch = 1_000;
/**
 * How far apart the clocks of the instances writing one log may be. Each
 * writer stamps entries with its own clock, so a watcher re-reads this far
 * back and skips what it has already sent.
 */
const clockSkewMs = 5_000;
/** How far back a watch may start; older entries are ListUserLogs's. */
const maxWatchBacklogMs = 3_600_000;

const requestIdPattern = /^[A-Za-z0-9_-]{1,64}$/;

export function checkRequestId(requestId: string, field: string): void {
  if (!requestIdPattern.test(requestId)) throw invalidField(field, "must be 1–64 characters of A-Z, a-z, 0-9, _ and -");
}

export function checkPayload(payload: Record<string, unknown>, field: string): void {
  checkFreeForm(payload, field);
  if (Buffer.byteLength(JSON.stringify(payload)) > maxPayloadBytes) {
    throw invalidField(field, `must be at most ${maxPayloadBytes} bytes as JSON`);
  }
}

/** A payload sent as the text of a JSON object, held to the same limits; its size is checked before it is parsed. */
export function payloadFromJson(text: string, field: string): Record<string, unknown> {
  if (Buffer.byteLength(text) > maxPayloadBytes) throw invalidField(field, `must be at most ${maxPayloadBytes} bytes`);
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    throw invalidField(field, "must be a JSON object");
  }
  if (typeof payload !== "object" || payload === null || Array.isArray(payload))
    throw invalidField(field, "must be a JSON object");
  // JSON reads 1e999 as Infinity.
  checkFreeForm(payload, field);
  return payload as Record<string, unknown>;
}

/**
 * The audit trail: appends, lists and streams entries. Watchers poll storage
 * by creation time, so entries written by any instance reach them; an
 * in-process signal wakes them early for entries written here.
 */
export function createUserLogBook(store: UserLogStore, pollIntervalMs = 500) {
  const appended = new EventEmitter().setMaxListeners(0);

  const append: AppendLog = async (entry) => {
    await appendRecord(entry);
  };

  const appendMany: AppendLogs = async (entries) => {
    await appendRecords(entries);
  };

  async function appendRecord(entry: NewUserLog): Promise<UserLogRecord> {
    const record = await store.append(entry);
    appended.emit("entry");
    return record;
  }

  async function appendRecords(entries: readonly NewUserLog[]): Promise<UserLogRecord[]> {
    const records = await store.appendAll(entries);
    appended.emit("entry");
    return records;
  }

  /**
   * A page of entries, newest first. A user's log has no upper size, so every matching entry is
   * counted only with `includeTotal`; otherwise `total` is a lower bound (the entries of this page
   * and the pages before it, which the page token carries, plus one when another page follows),
   * exact on a last page.
   */
  async function list(
    query: UserLogQuery,
    pageSize: number,
    pageToken: string,
    includeTotal = false,
  ): Promise<{ logs: UserLogRecord[]; nextPageToken: string; total: number; totalExact: boolean }> {
    const size = pageSizeOf(pageSize);
    const fingerprint = JSON.stringify([
      query.userId,
      query.events,
      query.startTime?.getTime(),
      query.endTime?.getTime(),
    ]);
    const cursor = decodePageToken(pageToken, fingerprint);
    const before = typeof cursor?.id === "string" ? cursor.id : undefined;
    const listed = listedBefore(cursor);
    const [page, counted] = await Promise.all([
      store.list(query, size + 1, before),
      includeTotal ? store.count(query, maxCountedMatches + 1) : undefined,
    ]);
    const { items, nextPageToken, total, exact } = countedPage(
      page,
      size,
      listed,
      counted,
      (last) => ({ id: last.id }),
      fingerprint,
    );
    return { logs: items, nextPageToken, total, totalExact: exact };
  }

  /**
   * Yields entries created from `from` (default: now) on, by any instance,
   * until `signal` aborts. What is already stored when the watch starts and
   * stamped before `from` counts as sent: a watch does not replay it (one
   * stamped in `from`'s very millisecond is sent: times have no finer
   * resolution, and a duplicate is better than a gap). An
   * entry written while the watch is being set up is stamped after `from`,
   * so it is delivered; one that appears later with an earlier stamp (another
   * instance's slower clock) is delivered too.
   */
  async function* watch(query: UserLogQuery, signal: AbortSignal, from?: Date): AsyncGenerator<UserLogRecord> {
    const start = (from ?? new Date()).getTime();
    if (start < Date.now() - maxWatchBacklogMs)
      throw invalidField("start_time", "must be at most an hour ago; older entries come from ListUserLogs");
    let newest = start;
    const sent = new Map<string, number>();
    const window = () => new Date(newest - clockSkewMs);
    for (const record of await store.listSince(query, window(), watchBatch)) {
      const time = record.createTime.getTime();
      if (time < start) sent.set(record.id, time);
    }
    while (!signal.aborted) {
      const batch = await store.listSince(query, window(), watchBatch);
      let fresh = 0;
      for (const record of batch) {
        if (sent.has(record.id)) continue;
        const time = record.createTime.getTime();
        sent.set(record.id, time);
        newest = Math.max(newest, time);
        fresh++;
        yield record;
      }
      for (const [id, time] of sent) if (time < newest - clockSkewMs) sent.delete(id);
      if (fresh === 0 || batch.length < watchBatch) await nextWake(signal);
    }
  }

  function nextWake(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        appended.off("entry", done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, pollIntervalMs);
      appended.on("entry", done);
      signal.addEventListener("abort", done);
    });
  }
  return { append, appendMany, appendRecord, appendRecords, list, watch };
}

export type UserLogBook = ReturnType<typeof createUserLogBook>;
