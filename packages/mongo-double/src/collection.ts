import { ObjectId } from "bson";
import { bsonTypeOf, isPlainObject, type Doc } from "./bson-values.js";
import { CommandError } from "./errors.js";
import { canonicalKey, indexEntries } from "./index-key.js";
import { ID_INDEX, indexAlreadyExists, type IndexSpec } from "./index-spec.js";
import { storeDoc, type StoredDoc } from "./stored-doc.js";
import { UniqueIndex } from "./unique-index.js";

/** The scalar a filter condition asks equality with, if it is a plain equality. */
function equalityValue(condition: unknown): unknown {
  if (isPlainObject(condition)) {
    const keys = Object.keys(condition);
    return keys.length === 1 && keys[0] === "$eq" ? equalityValue(condition.$eq) : undefined;
  }
  if (condition === undefined || Array.isArray(condition) || condition instanceof RegExp) return undefined;
  return condition;
}

/** Puts `_id` first, generating an ObjectId when the document has none (as mongod does). */
export function withIdFirst(doc: Doc): Doc {
  const { _id, ...rest } = doc;
  const id = _id === undefined ? new ObjectId() : _id;
  const type = bsonTypeOf(id);
  if (type === "array" || type === "regex" || type === "undefined") {
    throw new CommandError(53, `The '_id' value cannot be of type ${type}`);
  }
  return Object.keys(doc)[0] === "_id" ? doc : { _id: id, ...rest };
}

/** One collection: documents in natural order, indexed by `_id`, with its unique indexes. */
export class Collection {
  readonly db: string;
  readonly name: string;
  readonly #records = new Map<string, StoredDoc>();
  readonly #indexes: IndexSpec[] = [ID_INDEX];
  readonly #unique: UniqueIndex[] = [new UniqueIndex({ ...ID_INDEX, unique: true })];
  /** Field paths of the other compound indexes: only checked for parallel arrays, which mongod refuses. */
  #compound: string[][] = [];

  constructor(db: string, name: string) {
    this.db = db;
    this.name = name;
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

  /**
   * The documents a filter can match: one hash lookup when it asks equality on `_id` or on a
   * single-field unique index that holds every document with that value, every document otherwise.
   */
  candidates(filter: Doc, foldsStrings: boolean): StoredDoc[] {
    for (const index of this.#unique) {
      const value = equalityValue(filter[index.path]);
      if (value === undefined || (foldsStrings && typeof value === "string") || !index.servesEqualityOn(value)) continue;
      const owner = index.lookup(canonicalKey(value));
      const record = owner === undefined ? undefined : this.#records.get(owner);
      return record ? [record] : [];
    }
    return this.all();
  }

  #checkKeys(record: StoredDoc): void {
    for (const paths of this.#compound) indexEntries(record.doc, paths);
  }

  insert(doc: Doc): StoredDoc {
    const record = storeDoc(withIdFirst(doc));
    this.#checkKeys(record);
    const id = canonicalKey(record.doc._id);
    const entries = this.#unique.map((index) => index.entriesOf(record));
    this.#unique.forEach((index, i) => index.assertFree(entries[i]!, undefined, this.namespace));
    this.#unique.forEach((index, i) => index.add(entries[i]!, id));
    this.#records.set(id, record);
    return record;
  }

  /** Swaps a document for its updated version, keeping its place in natural order. */
  replace(old: StoredDoc, doc: Doc): StoredDoc {
    const record = storeDoc(doc);
    this.#checkKeys(record);
    const id = canonicalKey(old.doc._id);
    const before = this.#unique.map((index) => index.entriesOf(old));
    const after = this.#unique.map((index) => index.entriesOf(record));
    this.#unique.forEach((index, i) => index.assertFree(after[i]!, id, this.namespace));
    this.#unique.forEach((index, i) => {
      index.remove(before[i]!, id);
      index.add(after[i]!, id);
    });
    this.#records.set(id, record);
    return record;
  }

  remove(record: StoredDoc): void {
    const id = canonicalKey(record.doc._id);
    for (const index of this.#unique) index.remove(index.entriesOf(record), id);
    this.#records.delete(id);
  }

  indexes(): IndexSpec[] {
    return [...this.#indexes];
  }

  /** Creates an index unless an identical one exists; returns whether it was created. */
  createIndex(spec: IndexSpec): boolean {
    if (indexAlreadyExists(this.#indexes, spec)) return false;
    if (spec.unique) {
      const index = new UniqueIndex(spec);
      for (const record of this.#records.values()) {
        const id = canonicalKey(record.doc._id);
        const entries = index.entriesOf(record);
        index.assertFree(entries, id, this.namespace);
        index.add(entries, id);
      }
      this.#unique.push(index);
    } else if (Object.keys(spec.key).length > 1) {
      const paths = Object.keys(spec.key);
      for (const record of this.#records.values()) indexEntries(record.doc, paths);
      this.#compound.push(paths);
    }
    this.#indexes.push(spec);
    return true;
  }

  /** Changes a TTL index's expiry (collMod); returns the old value. */
  setExpireAfterSeconds(name: string, seconds: number): number | undefined {
    const position = this.#indexes.findIndex((index) => index.name === name);
    const old = this.#indexes[position]!.expireAfterSeconds as number | undefined;
    this.#indexes[position] = { ...this.#indexes[position]!, expireAfterSeconds: seconds };
    return old;
  }

  dropIndex(name: string): void {
    if (name === "_id_") throw new CommandError(72, "cannot drop _id index");
    const position = this.#indexes.findIndex((index) => index.name === name);
    if (position < 0) throw new CommandError(27, `index not found with name [${name}]`);
    this.#indexes.splice(position, 1);
    const unique = this.#unique.findIndex((index) => index.spec.name === name);
    if (unique >= 0) this.#unique.splice(unique, 1);
    this.#compound = this.#indexes.filter((index) => !index.unique && Object.keys(index.key).length > 1).map((index) => Object.keys(index.key));
  }
}
