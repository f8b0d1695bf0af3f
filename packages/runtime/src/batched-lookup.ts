import DataLoader from "dataloader";
import { MongoNetworkTimeoutError, type Collection, type Document, type Filter } from "mongodb";

/** The most ids one batched `find` carries; a busier moment sends several. */
export const maxIdsPerLookup = 100;

export interface BatchedLookupOptions {
  projection?: Document;
  /** Bounds each batch's `find` as a whole: its waiters hear within this long. */
  timeoutMs: number;
}

/**
 * Lookups of single documents by `_id` that share a round trip: the lookups
 * asked for in one turn of the event loop (calls that arrived together) leave
 * as one `find` with `_id: {$in: [...]}`, through the `_id` index, and each
 * caller gets a document of its own or null. Nothing is kept between batches:
 * a lookup reads the database after it was asked for, so it sees every write
 * that returned before, exactly as a `findOne` of its own would. A failed
 * `find` fails every lookup in its batch.
 */
export function createBatchedLookup<T extends Document & { _id: string }>(
  collection: Collection<T>,
  options: BatchedLookupOptions,
): (id: string) => Promise<T | null> {
  const loader = new DataLoader<string, T | null>(
    async (ids) => {
      const distinct = [...new Set(ids)];
      // The driver can write a command to a socket that has just ended and then wait for it forever (the
      // socket's close arrives in a later phase of the event loop than the end that destroyed it). Aborting
      // at the bound ends that wait, or any other, with a timeout, which callers see as storage unavailable.
      const abort = new AbortController();
      const timer = setTimeout(
        () => abort.abort(new MongoNetworkTimeoutError(`no answer to a lookup by id within ${options.timeoutMs} ms`)),
        options.timeoutMs,
      );
      let docs: T[];
      try {
        docs = (await collection
          .find({ _id: { $in: distinct } } as Filter<T>, {
            projection: options.projection,
            batchSize: distinct.length,
            signal: abort.signal,
          })
          .toArray()) as T[];
      } finally {
        clearTimeout(timer);
      }
      const byId = new Map(docs.map((doc) => [doc._id, doc]));
      // One id asked for twice in a batch: the second caller gets a copy, so neither sees the other's changes.
      const handedOut = new Set<string>();
      return ids.map((id) => {
        const doc = byId.get(id);
        if (doc === undefined) return null;
        if (!handedOut.has(id)) {
          handedOut.add(id);
          return doc;
        }
        return structuredClone(doc);
      });
    },
    // A batch closes in the timers phase of the next turn of the event loop, so the calls that arrived in this
    // turn (in one read, or on several connections) share it, and its find is written after this turn's close
    // callbacks. Not in a setImmediate: a socket the database ended is destroyed in the poll phase but the driver
    // hears of it only in the close phase; a command written in between waits forever (see above), and the
    // server monitor's check, which a find's server selection wakes while the server is unknown, is one of them:
    // the driver would then never see the database again. Nor at the end of the callback that asked: that shares
    // a batch only among the calls of one read, and most of the saving is lost.
    { cache: false, maxBatchSize: maxIdsPerLookup, batchScheduleFn: (send) => setTimeout(send, 0) },
  );
  return (id) => loader.load(id);
}
