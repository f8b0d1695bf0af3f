import { isPlainObject } from "./bson-values.js";
import type { Collection } from "./collection.js";

/** Dates a TTL field holds (an array expires by its earliest date, as in mongod). */
function dateAt(doc: unknown, path: string): number | undefined {
  let value: unknown = doc;
  for (const part of path.split(".")) value = isPlainObject(value) ? value[part] : undefined;
  const dates = (Array.isArray(value) ? value : [value]).filter((item): item is Date => item instanceof Date);
  return dates.length ? Math.min(...dates.map((date) => date.getTime())) : undefined;
}

/** Deletes expired documents from every collection with a TTL index; returns how many. */
export function removeExpired(collections: Collection[], now = Date.now()): number {
  let removed = 0;
  for (const collection of collections) {
    for (const index of collection.indexes()) {
      if (typeof index.expireAfterSeconds !== "number") continue;
      const path = Object.keys(index.key)[0]!;
      const limit = now - index.expireAfterSeconds * 1000;
      for (const record of collection.all()) {
        const at = dateAt(record.doc, path);
        if (at !== undefined && at <= limit) {
          collection.remove(record);
          removed++;
        }
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
