import { clonePlain, type Doc } from "../bson-values.js";
import { withIdFirst } from "../collection.js";
import { applyUpdate, isReplacement, upsertSeed } from "../update-engine.js";

/**
 * The document an upsert inserts: the filter's equality fields (with `_id` first) updated by the
 * operators, or the replacement document with the filter's `_id` when it has one.
 */
export function upsertDocument(filter: Doc, update: unknown, arrayFilters: Doc[] | undefined, collation: unknown): Doc {
  const seed = upsertSeed(filter);
  if (isReplacement(update)) {
    const replacement = clonePlain(update as Doc);
    return withIdFirst(
      seed._id !== undefined && replacement._id === undefined ? { _id: seed._id, ...replacement } : replacement,
    );
  }
  const updated = applyUpdate(seed, update, { filter, arrayFilters, collation, inserting: true });
  return withIdFirst(updated);
}
