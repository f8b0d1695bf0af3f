import { toView, type Doc } from "./bson-values.js";
import type { EncodedDoc } from "./encoded-docs.js";

/** A document as kept by a collection: its BSON-typed form and the view queries run on. */
export interface StoredDoc {
  readonly doc: Doc;
  readonly view: Doc;
  /** This version's BSON encodings, one per projection that read it lately (see `encodeStored`). */
  encodings?: Array<[string, EncodedDoc]>;
  /** Its place in natural order in the collection holding it, fixed at insert (an update keeps it), as mongod's RecordId. */
  position?: number;
}

const storedByView = new WeakMap<object, Doc>();

/** Wraps a stored-form document; the document must never be mutated afterwards. */
export function storeDoc(doc: Doc): StoredDoc {
  const view = toView(doc) as Doc;
  if (view !== doc) storedByView.set(view, doc);
  return { doc, view, encodings: undefined, position: undefined };
}

/** The typed document behind a view, for operators that care about BSON types. */
export const storedOf = (view: unknown): unknown =>
  (view !== null && typeof view === "object" && storedByView.get(view)) || view;
