import { ObjectId } from "bson";
import { bsonTypeOf, type Doc } from "./bson-values.js";
import type { ChangeLog } from "./change-log.js";
import { CommandError } from "./errors.js";
import { canonicalKey } from "./index-key.js";
import { ID_INDEX, indexAlreadyExists, type IndexSpec } from "./index-spec.js";
import type { StoredKey } from "./key-encoding.js";
import { OrderedIndex } from "./ordered-index.js";
import { storeDoc, type StoredDoc } from "./stored-doc.js";
import { duplicateKeyError, UniqueIndex } from "./unique-index.js";

/** Puts `_id` first, generating an ObjectId when the document has none (as mongod does). */
export function withIdFirst(doc: Doc): Doc {
  const id = doc._id === undefined ? new ObjectId() : doc._id;
  const type = bsonTypeOf(id);
  if (type === "array" || type === "regex" || type === "undefined") {
    throw new CommandError(53, `The '_id' value cannot be of type ${type}`);
  }
  // Documents the driver sends already start with `_id`: they are kept as they came, not copied.
  for (const key in doc) {
    if (key === "_id") return doc;
    break;
  }
  const { _id, ...rest } = doc;
  return { _id: id, ...rest };
}

/**
 * One collection: documents by `_id` (which also enforces the `_id` index), each with its place in
 * natural order, an ordered index for each index (which queries read through), and hash maps that
 * enforce the other unique ones.
 */
export class Collection {
  readonly db: string;
  readonly name: string;
  readonly #records = new Map<string, StoredDoc>();
  readonly #indexes: IndexSpec[] = [ID_INDEX];
  readonly #unique: UniqueIndex[] = [];
  #nextPosition = 0;
  #ordered: OrderedIndex[] = [
    new OrderedIndex(ID_INDEX, () => this.#positioned(), {
      points: (id) => this.#records.get(canonicalKey(id)),
      lazy: true,
    }),
  ];
  #log: ChangeLog | undefined;

  constructor(db: string, name: string) {
    this.db = db;
    this.name = name;
  }

  attach(log: ChangeLog): void {
    this.#log = log;
  }

  #indexesChanged(): void {
    this.#log?.indexesChanged(this.db, this.name, this.#indexes.slice(1));
  }

  get namespace(): string {
    return `${this.db}.${this.name}`;
  }

  get size(): number {
    return this.#records.size;
  }

  all(): StoredDoc[] {
    return [...this.#records.values()];
  }

  /** The document stored under an `_id` (its `canonicalKey`), as it is now. */
  byId(key: string): StoredDoc | undefined {
    return this.#records.get(key);
  }

  /** Every document with its place in natural order. */
  *#positioned(): Generator<[StoredDoc, number]> {
    for (const record of this.#records.values()) yield [record, record.position!];
  }

  /** The ordered indexes queries may read through. */
  orderedIndexes(): OrderedIndex[] {
    return this.#ordered;
  }

  /**
   * Every ordered index's keys for the document, worked out once and before anything changes:
   * a key mongod refuses (parallel arrays) throws here, leaving the collection as it was.
   */
  #orderedKeys(record: StoredDoc, position: number): StoredKey[][] {
    return this.#ordered.map((index) => index.keysToWrite(record, position));
  }

  insert(doc: Doc): StoredDoc {
    const record = storeDoc(withIdFirst(doc));
    const id = canonicalKey(record.doc._id);
    const position = this.#nextPosition;
    const keys = this.#orderedKeys(record, position);
    if (this.#records.has(id)) throw duplicateKeyError(ID_INDEX, [record.doc._id], this.namespace);
    const entries = this.#unique.map((index) => index.entriesOf(record));
    this.#unique.forEach((index, i) => index.assertFree(entries[i]!, undefined, this.namespace));
    this.#unique.forEach((index, i) => index.add(entries[i]!, id));
    this.#nextPosition++;
    record.position = position;
    this.#ordered.forEach((index, i) => index.add(record, position, keys[i]!));
    this.#records.set(id, record);
    this.#log?.documentWritten(this.db, this.name, id, record.doc);
    return record;
  }

  /**
   * Swaps a document for its updated version, keeping its place in natural order. An index whose
   * fields the update left holding the very same values (see `fieldsIndexed`) keeps its entries
   * without working them out twice: an ordered index only points them at the new version.
   */
  replace(old: StoredDoc, doc: Doc): StoredDoc {
    const record = storeDoc(doc);
    const id = canonicalKey(old.doc._id);
    const position = old.position!;
    record.position = position;
    const kept = (fields: readonly string[]) => fields.every((field) => Object.is(old.doc[field], record.doc[field]));
    const keys = this.#orderedKeys(record, position);
    const unique = this.#unique.filter((index) => !kept(index.fields));
    const before = unique.map((index) => index.entriesOf(old));
    const after = unique.map((index) => index.entriesOf(record));
    unique.forEach((index, i) => index.assertFree(after[i]!, id, this.namespace));
    unique.forEach((index, i) => index.replace(before[i]!, after[i]!, id));
    this.#ordered.forEach((index, i) => {
      if (kept(index.fields)) index.repoint(record, keys[i]!);
      else index.replace(old, record, position, keys[i]!);
    });
    this.#records.set(id, record);
    this.#log?.documentWritten(this.db, this.name, id, record.doc);
    return record;
  }

  remove(record: StoredDoc): void {
    const id = canonicalKey(record.doc._id);
    for (const index of this.#unique) index.remove(index.entriesOf(record), id);
    for (const index of this.#ordered) index.remove(record, record.position!);
    this.#records.delete(id);
    this.#log?.documentRemoved(this.db, this.name, id);
  }

  indexes(): IndexSpec[] {
    return [...this.#indexes];
  }

  /** Creates an index unless an identical one exists; returns whether it was created. */
  createIndex(spec: IndexSpec): boolean {
    if (indexAlreadyExists(this.#indexes, spec)) return false;
    const unique = spec.unique ? new UniqueIndex(spec) : undefined;
    // A unique index on one field answers lookups of strings from its hash map (see OrderedIndex.points).
    const points =
      unique?.servesStringPoints === true
        ? (value: string) => {
            const owner = unique.lookup(canonicalKey(value));
            return owner === undefined ? undefined : this.#records.get(owner);
          }
        : undefined;
    // Built first: a document whose keys mongod refuses (parallel arrays) fails the build before anything changes.
    // A unique index's hash map enforces it, so its tree can wait until a read needs the order.
    const ordered = new OrderedIndex(spec, () => this.#positioned(), { points, lazy: unique !== undefined });
    if (unique !== undefined) {
      for (const record of this.#records.values()) {
        const id = canonicalKey(record.doc._id);
        const entries = unique.entriesOf(record);
        unique.assertFree(entries, id, this.namespace);
        unique.add(entries, id);
      }
      this.#unique.push(unique);
    }
    this.#ordered.push(ordered);
    this.#indexes.push(spec);
    this.#indexesChanged();
    return true;
  }

  /** Changes a TTL index's expiry (collMod); returns the old value. */
  setExpireAfterSeconds(name: string, seconds: number): number | undefined {
    const position = this.#indexes.findIndex((index) => index.name === name);
    const old = this.#indexes[position]!.expireAfterSeconds as number | undefined;
    this.#indexes[position] = { ...this.#indexes[position]!, expireAfterSeconds: seconds };
    const ordered = this.#ordered.find((index) => index.spec.name === name);
    if (ordered) ordered.spec = this.#indexes[position]!;
    this.#indexesChanged();
    return old;
  }

  dropIndex(name: string): void {
    if (name === "_id_") throw new CommandError(72, "cannot drop _id index");
    const position = this.#indexes.findIndex((index) => index.name === name);
    if (position < 0) throw new CommandError(27, `index not found with name [${name}]`);
    this.#indexes.splice(position, 1);
    const unique = this.#unique.findIndex((index) => index.spec.name === name);
    if (unique >= 0) this.#unique.splice(unique, 1);
    this.#ordered = this.#ordered.filter((index) => index.spec.name !== name);
    this.#indexesChanged();
  }
}
