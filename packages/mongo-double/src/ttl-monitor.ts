import { canonicalKey } from "./index-key.js";
import { TYPE_RANK } from "./sort-order.js";
import type { Collection } from "./collection.js";

const DATE_RANK = TYPE_RANK.date!;

/**
 * Deletes expired documents from every collection with a TTL index; returns how many. As
 * mongod's TTL monitor, a pass reads the index up to the expiry limit, not the collection: a
 * document expires by the earliest date its field holds (arrays key each element), and one the
 * index leaves out (partial, or no date in the field) never expires.
 */
export function removeExpired(collections: Collection[], now = Date.now()): number {
  let removed = 0;
  for (const collection of collections) {
    for (const index of collection.orderedIndexes()) {
      const seconds = index.spec.expireAfterSeconds;
      if (typeof seconds !== "number" || index.paths.length !== 1) continue;
      for (const record of index.documentsUpTo(DATE_RANK, new Date(now - seconds * 1000))) {
        // An earlier TTL index of the collection may have removed it already in this pass.
        if (collection.byId(canonicalKey(record.doc._id)) !== record) continue;
        collection.remove(record);
        removed++;
      }
    }
  }
  return removed;
}

/** Runs a pass every interval, like mongod's TTL monitor thread. */
export class TtlMonitor {
  #timer: NodeJS.Timeout | undefined;
  readonly #pass: () => void;

  constructor(pass: () => void) {
    this.#pass = pass;
  }

  start(intervalMs: number): void {
    this.stop();
    this.#timer = setInterval(this.#pass, intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
