import DataLoader from "dataloader";
import { MongoNetworkTimeoutError, type Collection, type Document, type Filter } from "mongodb";

/** The most ids one batched `find` carries; a busier moment sends several. */
export const maxIdsPerLookup = 100;

export interface BatchedLookupOptions {
  projection?: Document;
  /** Bounds each batch's `find` as a whole: its waiters hear within this long. */
  timeoutMs: number;
  /** The field looked up, `_id` unless said: a unique index must hold its values, strings, each once. */
  field?: string;
  /**
   * The condition on `field` that finds the values of one batch, `{$in: values}` unless said (a field
   * whose index is partial needs the index's filter stated beside it, or MongoDB does not read the index).
   */
  condition?: (values: readonly string[]) => Document;
}

/**
 * Single reads by id that share a round trip: the reads asked for in one turn
 * of the event loop (calls that arrived together) leave as one `fetchMany` of
 * their distinct ids (at most `maxBatchSize`; a busier moment sends several),
 * and each caller gets its own value, or null when `fetchMany` found none.
 * Nothing is kept between batches: a read fetches after it was asked for, so
 * it sees every write that returned before, exactly as a read of its own would.
 * A failed fetch fails every read in its batch. An id asked for twice in one
 * batch is handed `copy` of the value the second time, so neither caller sees
 * the other's changes.
 */
export function batchPerTurn<V>(
  fetchMany: (ids: readonly string[]) => Promise<ReadonlyMap<string, V>>,
  options: { maxBatchSize: number; copy?: (value: V) => V },
): (id: string) => Promise<V | null> {
  const copy = options.copy ?? ((value: V) => value);
  const loader = new DataLoader<string, V | null>(
    async (ids) => {
      const found = await fetchMany([...new Set(ids)]);
      const handedOut = new Set<string>();
      return ids.map((id) => {
        const value = found.get(id);
        if (value === undefined) return null;
        if (handedOut.has(id)) return copy(value);
        handedOut.add(id);
        return value;
      });
    },
    // A batch closes in the timers phase of the next turn of the event loop, so the calls that arrived in this
    // turn (in one read, or on several connections) share it, and its round trip is written after this turn's
    // close callbacks. Not in a setImmediate: a socket the database ended is destroyed in the poll phase but the
    // driver hears of it only in the close phase; a command written in between waits forever (see
    // createBatchedLookup), and the server monitor's check, which a find's server selection wakes while the
    // server is unknown, is one of them: the driver would then never see the database again. Nor at the end of
    // the callback that asked: that shares a batch only among the calls of one read, and most of the saving is lost.
    { cache: false, maxBatchSize: options.maxBatchSize, batchScheduleFn: (send) => setTimeout(send, 0) },
  );
  return (id) => loader.load(id);
}

/**
 * Lookups of single documents by `_id`, or by another field a unique index holds, through
 * `batchPerTurn`: each batch is one `find` with `{field: {$in: [...]}}`, through that index,
 * bounded as a whole by `timeoutMs`.
 */
export function createBatchedLookup<T extends Document & { _id: string }>(
  collection: Collection<T>,
  options: BatchedLookupOptions,
): (id: string) => Promise<T | null> {
  const field = options.field ?? "_id";
  const condition = options.condition ?? ((values: readonly string[]) => ({ $in: values }));
  return batchPerTurn(
    async (ids) => {
      // The driver can write a command to a socket that has just ended and then wait for it forever (the
      // socket's close arrives in a later phase of the event loop than the end that destroyed it). Aborting
      // at the bound ends that wait, or any other, with a timeout, which callers see as storage unavailable.
      const abort = new AbortController();
      const timer = setTimeout(
        () =>
          abort.abort(new MongoNetworkTimeoutError(`no answer to a lookup by ${field} within ${options.timeoutMs} ms`)),
        options.timeoutMs,
      );
      try {
        const docs = (await collection
          .find({ [field]: condition(ids) } as Filter<T>, {
            projection: options.projection,
            batchSize: ids.length,
            signal: abort.signal,
          })
          .toArray()) as T[];
        return new Map(docs.map((doc) => [doc[field] as string, doc]));
      } finally {
        clearTimeout(timer);
      }
    },
    { maxBatchSize: maxIdsPerLookup, copy: (doc) => structuredClone(doc) },
  );
}
