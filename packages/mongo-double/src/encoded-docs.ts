import { serialize } from "bson";
import { isPlainObject, type Doc } from "./bson-values.js";
import type { PlainProjection } from "./plain-projection.js";
import type { StoredDoc } from "./stored-doc.js";

/** A document already in BSON: a reply splices its bytes instead of serializing it again. */
export class EncodedDoc {
  constructor(readonly bytes: Uint8Array) {}
}

/** Encodings kept per stored document, one per projection it was read with (the most recent few). */
const PROJECTIONS_KEPT = 4;

/**
 * A stored document as a find returns it, whole or through a plain projection, encoded once per
 * projection. The encodings live on the stored version they encode: a write never changes a stored
 * document but stores a new version in its place (see `storeDoc`), so none can outlive its version.
 */
export function encodeStored(record: StoredDoc, projection: PlainProjection | undefined): EncodedDoc {
  const key = projection?.key ?? "";
  const kept = (record.encodings ??= []);
  const found = kept.find(([k]) => k === key);
  if (found) return found[1];
  const encoded = new EncodedDoc(serialize(projection ? projection.apply(record.doc) : record.doc));
  if (kept.length === PROJECTIONS_KEPT) kept.shift();
  kept.push([key, encoded]);
  return encoded;
}

/** The documents of a cursor reply's batch, when it carries any already encoded. */
function encodedBatch(reply: Doc): boolean {
  const cursor = reply.cursor;
  if (!isPlainObject(cursor)) return false;
  const batch = cursor.firstBatch ?? cursor.nextBatch;
  return Array.isArray(batch) && batch.some((item) => item instanceof EncodedDoc);
}

const TYPE_DOCUMENT = 0x03;
const TYPE_ARRAY = 0x04;

/** One element (type, name, value) as the serializer writes it: a one-field document without its frame. */
const element = (name: string, value: unknown): Uint8Array => {
  const doc = serialize({ [name]: value });
  return doc.subarray(4, doc.length - 1);
};

function framed(parts: Uint8Array[]): Buffer {
  const size = 4 + parts.reduce((sum, part) => sum + part.length, 0) + 1;
  const out = Buffer.allocUnsafe(size);
  out.writeInt32LE(size, 0);
  let at = 4;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  out[at] = 0;
  return out;
}

const header = (type: number, name: string): Buffer => Buffer.concat([Buffer.of(type), Buffer.from(`${name}\0`)]);

/** An array of encoded documents, written in one buffer: the batch of a cursor reply. */
function encodedArray(items: EncodedDoc[]): Buffer {
  let size = 5;
  for (let i = 0; i < items.length; i++) size += 2 + String(i).length + items[i]!.bytes.length;
  const out = Buffer.allocUnsafe(size);
  out.writeInt32LE(size, 0);
  let at = 4;
  for (let i = 0; i < items.length; i++) {
    out[at++] = TYPE_DOCUMENT;
    at += out.write(String(i), at, "latin1");
    out[at++] = 0;
    out.set(items[i]!.bytes, at);
    at += items[i]!.bytes.length;
  }
  out[at] = 0;
  return out;
}

const allEncoded = (items: unknown[]): items is EncodedDoc[] => items.every((item) => item instanceof EncodedDoc);

/** Encodes a document whose arrays or subdocuments may hold encoded documents, byte for byte as `serialize` would. */
function spliced(doc: Doc | unknown[]): Buffer {
  if (Array.isArray(doc) && allEncoded(doc)) return encodedArray(doc);
  const parts: Uint8Array[] = [];
  const entries = Array.isArray(doc) ? doc.map((value, i) => [String(i), value] as const) : Object.entries(doc);
  for (const [name, value] of entries) {
    if (value instanceof EncodedDoc) parts.push(header(TYPE_DOCUMENT, name), value.bytes);
    else if (Array.isArray(value)) parts.push(header(TYPE_ARRAY, name), spliced(value));
    else if (isPlainObject(value)) parts.push(header(TYPE_DOCUMENT, name), spliced(value));
    else parts.push(element(name, value));
  }
  return framed(parts);
}

/** Serializes a reply; a cursor reply's encoded documents are spliced in as they are. */
export function serializeReply(reply: Doc): Uint8Array {
  return encodedBatch(reply) ? spliced(reply) : serialize(reply);
}
