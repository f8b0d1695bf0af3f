import type { Doc } from "./bson-values.js";
import type { IndexSpec } from "./index-spec.js";

/**
 * What a store tells durable storage about each change, as it happens in memory. The storage
 * keeps them until the command that made them ends, then makes them durable together.
 */
export interface ChangeLog {
  collectionCreated(db: string, name: string): void;
  collectionDropped(db: string, name: string): void;
  databaseDropped(db: string): void;
  /** `id` is the canonical key of the document's `_id`. */
  documentWritten(db: string, name: string, id: string, doc: Doc): void;
  documentRemoved(db: string, name: string, id: string): void;
  /** The collection's indexes after a change, `_id_` left out. */
  indexesChanged(db: string, name: string, specs: IndexSpec[]): void;
}
