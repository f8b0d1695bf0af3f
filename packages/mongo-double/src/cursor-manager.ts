import { Long } from "bson";
import { CommandError } from "./errors.js";

const DEFAULT_FIRST_BATCH = 101;
// A getMore reply stays well under the 16 MiB document limit for typical documents.
const DEFAULT_GET_MORE_BATCH = 10_000;

interface OpenCursor {
  namespace: string;
  docs: unknown[];
  position: number;
}

/** A cursor reply document, with ids as BSON Long as the driver requires (0 too). */
export interface CursorReply extends Record<string, unknown> {
  cursor: { id: Long; ns: string; firstBatch?: unknown[]; nextBatch?: unknown[] };
  ok: 1;
}

/** Serves query results in batches across getMore calls. */
export class CursorManager {
  readonly #cursors = new Map<bigint, OpenCursor>();
  #nextId = 1n;

  /** Replies with the first batch and keeps the rest, unless everything fits or singleBatch. */
  open(namespace: string, docs: unknown[], batchSize: number | undefined, singleBatch = false): CursorReply {
    const size = batchSize === undefined || batchSize <= 0 ? DEFAULT_FIRST_BATCH : batchSize;
    const firstBatch = docs.slice(0, size);
    if (singleBatch || firstBatch.length >= docs.length) {
      return { cursor: { firstBatch, id: Long.ZERO, ns: namespace }, ok: 1 };
    }
    const id = this.#nextId++;
    this.#cursors.set(id, { namespace, docs, position: firstBatch.length });
    return { cursor: { firstBatch, id: Long.fromBigInt(id), ns: namespace }, ok: 1 };
  }

  getMore(id: bigint, namespace: string, batchSize: number | undefined): CursorReply {
    const cursor = this.#cursors.get(id);
    if (!cursor || cursor.namespace !== namespace) throw new CommandError(43, `cursor id ${id} not found`);
    const size = batchSize === undefined || batchSize <= 0 ? DEFAULT_GET_MORE_BATCH : batchSize;
    const nextBatch = cursor.docs.slice(cursor.position, cursor.position + size);
    cursor.position += nextBatch.length;
    const exhausted = cursor.position >= cursor.docs.length;
    if (exhausted) this.#cursors.delete(id);
    return { cursor: { nextBatch, id: exhausted ? Long.ZERO : Long.fromBigInt(id), ns: namespace }, ok: 1 };
  }

  kill(ids: bigint[]): { cursorsKilled: Long[]; cursorsNotFound: Long[] } {
    const killed: Long[] = [];
    const notFound: Long[] = [];
    for (const id of ids) (this.#cursors.delete(id) ? killed : notFound).push(Long.fromBigInt(id));
    return { cursorsKilled: killed, cursorsNotFound: notFound };
  }

  clear(): void {
    this.#cursors.clear();
  }
}
