import {
  MongoBulkWriteError,
  MongoServerError,
  type Collection,
  type Document,
  type OptionalUnlessRequiredId,
  type WriteError,
} from "mongodb";
import { shareRoundTrips, type ItemOutcome } from "../domain/shared-round-trips.js";

/** mongod's duplicate-key message names the index: `E11000 duplicate key error collection: db.c index: NAME dup key: {…}`. */
const duplicateIndexName = /\bindex: (\S+) dup key/;

/**
 * Group commit for single-document inserts (see shareRoundTrips): the inserts
 * asked for while one is under way leave together as one unordered
 * `insertMany`, and each caller learns the fate of its own document, which
 * mongod stores or refuses on its own. A refused document rejects its caller
 * alone, with the error an `insertOne` would have thrown: a duplicate key
 * carries the violated index's key pattern (the bulk reply names only the
 * index, so the pattern is looked up in `indexes`), so `duplicateKeyOf` reads
 * both alike. A failure of the whole write (connection lost, write concern
 * not met) rejects every caller of the batch.
 */
export function createGroupedInsert<T extends Document>(
  collection: Collection<T>,
  indexes: readonly { name: string; key: Document }[],
): (doc: OptionalUnlessRequiredId<T>) => Promise<void> {
  const keyPatterns = new Map(indexes.map((index) => [index.name, index.key]));
  const errorOf = (writeError: WriteError) => {
    const index = duplicateIndexName.exec(writeError.errmsg ?? "")?.[1];
    const keyPattern = writeError.code === 11000 && index !== undefined ? keyPatterns.get(index) : undefined;
    return new MongoServerError({
      message: writeError.errmsg ?? "write error",
      code: writeError.code,
      ...(keyPattern !== undefined && { keyPattern }),
    });
  };
  return shareRoundTrips<OptionalUnlessRequiredId<T>, void>(async (docs) => {
    const stored: ItemOutcome<void> = { ok: true, value: undefined };
    try {
      await collection.insertMany([...docs], { ordered: false });
      return docs.map(() => stored);
    } catch (err) {
      if (!(err instanceof MongoBulkWriteError) || err.result.getWriteConcernError() !== undefined) throw err;
      const refused = new Map([err.writeErrors].flat().map((writeError) => [writeError.index, errorOf(writeError)]));
      return docs.map((_, i): ItemOutcome<void> => {
        const error = refused.get(i);
        return error === undefined ? stored : { ok: false, error };
      });
    }
  });
}
