import { Long, MongoNetworkError, MongoServerError, type Db, type Document, type Sort } from "mongodb";

/** What one search query asks of the `find` command. */
export interface SearchFind {
  filter: Document;
  sort?: Sort;
  projection?: Document;
  /** Most documents returned; unset: all that match. */
  limit?: number;
  /** Documents per reply: the first and each `getMore`. */
  batchSize: number;
}

interface CursorReply<T> {
  cursor: { id: number | Long; firstBatch?: T[]; nextBatch?: T[] };
}

const exhausted = (id: number | Long): boolean => (typeof id === "number" ? id === 0 : id.isZero());
/**
 * The server errors after which the driver retries a read once (the retryable-reads rule; the
 * driver does not export its list): host unreachable or not found, network timeout, shutdown in
 * progress, primary stepped down, socket exception, not writable primary, interrupted at shutdown
 * or by a replica-set state change, not primary (no secondaryOk / or secondary), exceeded time
 * limit, majority read concern not available yet.
 */
const retryableReadCodes = new Set([6, 7, 89, 91, 189, 9001, 10107, 11600, 11602, 13435, 13436, 262, 134]);
const retryableRead = (err: unknown): boolean =>
  err instanceof MongoNetworkError || (err instanceof MongoServerError && retryableReadCodes.has(err.code as number));

/** Cursor ids are int64 on the wire; small ones come back as numbers. */
const cursorId = (id: number | Long): Long => (typeof id === "number" ? Long.fromNumber(id) : id);

/**
 * Runs a find as a `find` command and reads its cursor to the end with `getMore`s, in one
 * session, without a driver cursor per query: a search page is one reply, and the cursor's
 * setup, bookkeeping and per-document iteration cost more than the search's own code.
 * The find is retried once after a retryable error, as the driver retries reads unless
 * `retryReads=false`. `maxTimeMS()` is asked before each command (it throws when no time is left); the find's
 * limit covers its `getMore`s, as it does for a driver cursor. A cursor left open by a
 * failure is killed.
 */
export async function findAll<T>(db: Db, collection: string, find: SearchFind, maxTimeMS: () => number): Promise<T[]> {
  const session = db.client.startSession();
  let id: number | Long = 0;
  try {
    const command = () =>
      db.command(
        {
          find: collection,
          filter: find.filter,
          ...(find.sort !== undefined && { sort: find.sort }),
          ...(find.projection !== undefined && { projection: find.projection }),
          ...(find.limit !== undefined && { limit: find.limit }),
          batchSize: find.batchSize,
          maxTimeMS: maxTimeMS(),
        },
        { session },
      ) as Promise<CursorReply<T>>;
    // Retried once, as the driver retries a find: a command is not, by the driver.
    const first = await command().catch((err: unknown) => {
      if (db.client.options.retryReads && retryableRead(err)) return command();
      throw err;
    });
    const docs = first.cursor.firstBatch ?? [];
    id = first.cursor.id;
    while (!exhausted(id)) {
      maxTimeMS();
      const more = (await db.command(
        { getMore: cursorId(id), collection, batchSize: find.batchSize },
        { session },
      )) as CursorReply<T>;
      docs.push(...(more.cursor.nextBatch ?? []));
      id = more.cursor.id;
    }
    return docs;
  } finally {
    if (!exhausted(id))
      await db.command({ killCursors: collection, cursors: [cursorId(id)] }, { session }).catch(() => undefined);
    await session.endSession();
  }
}
