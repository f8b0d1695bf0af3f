import type { Doc } from "./bson-values.js";
import { foldFor, type Fold } from "./collation.js";
import { CommandError } from "./errors.js";
import { formatValue } from "./bson-values.js";
import { indexEntries, type IndexEntry } from "./index-key.js";
import { indexMembership } from "./ordered-index.js";
import { fieldsIndexed, type IndexSpec } from "./index-spec.js";
import { compileFilter, type Matcher } from "./query-engine.js";
import { storeDoc, type StoredDoc } from "./stored-doc.js";

/**
 * Canonical keys to their owners' id keys. A key that loses its owner keeps its entry, marked
 * vacant, rather than being deleted: V8 leaves a deleted `Map` entry in its key's hash chain until
 * the next rehash, so a key freed and taken again over and over (a token revoked and created again
 * under the same name, an email changed back and forth) made each use of it walk all the earlier
 * ones. Vacant entries are swept into a fresh map once they outnumber the owned ones, which costs
 * each freeing a constant on average.
 */
class Owners {
  #map = new Map<string, string | null>();
  #vacant = 0;

  get(key: string): string | undefined {
    return this.#map.get(key) ?? undefined;
  }

  set(key: string, owner: string): void {
    if (this.#map.get(key) === null) this.#vacant--;
    this.#map.set(key, owner);
  }

  free(key: string): void {
    if (this.#map.get(key) == null) return;
    this.#map.set(key, null);
    this.#vacant++;
    if (this.#vacant > sweepAfterVacant && this.#vacant > this.#map.size - this.#vacant) this.#sweep();
  }

  #sweep(): void {
    const owned = new Map<string, string | null>();
    for (const [key, owner] of this.#map) if (owner !== null) owned.set(key, owner);
    this.#map = owned;
    this.#vacant = 0;
  }
}

/** Vacant entries a map of owners keeps at least before it sweeps them. */
const sweepAfterVacant = 1_024;

/** A unique index: a hash map from canonical key to the owning document's id key. */
export class UniqueIndex {
  readonly spec: IndexSpec;
  readonly #paths: string[];
  readonly #fold: Fold | undefined;
  readonly #partial: Matcher | undefined;
  readonly #includes: (record: StoredDoc) => boolean;
  readonly #owners = new Owners();
  /** The top-level fields its entries depend on (see `fieldsIndexed`). */
  readonly fields: string[];

  constructor(spec: IndexSpec) {
    this.spec = spec;
    this.fields = fieldsIndexed(spec);
    this.#paths = Object.keys(spec.key);
    this.#fold = foldFor(spec.collation);
    this.#partial = spec.partialFilterExpression ? compileFilter(spec.partialFilterExpression) : undefined;
    this.#includes = indexMembership(spec);
  }

  /** The entries a document contributes, or none when sparse/partial leave it out. */
  entriesOf(record: StoredDoc): IndexEntry[] {
    if (!this.#includes(record)) return [];
    return indexEntries(record.doc, this.#paths, this.#fold);
  }

  /** Throws mongod's E11000 error when an entry belongs to another document (any, for a new one). */
  assertFree(entries: IndexEntry[], ownerId: string | undefined, namespace: string): void {
    for (const entry of entries) {
      const owner = this.#owners.get(entry.key);
      if (owner !== undefined && (ownerId === undefined || owner !== ownerId)) throw this.#duplicate(entry, namespace);
    }
  }

  add(entries: IndexEntry[], ownerId: string): void {
    for (const entry of entries) this.#owners.set(entry.key, ownerId);
  }

  remove(entries: IndexEntry[], ownerId: string): void {
    for (const entry of entries) if (this.#owners.get(entry.key) === ownerId) this.#owners.free(entry.key);
  }

  /**
   * Moves the owner's entries from `before` to `after` (an update that changed a field this index
   * reads): entries in both stay as they are. An update that changed none of its fields does not
   * come here (see Collection.replace).
   */
  replace(before: IndexEntry[], after: IndexEntry[], ownerId: string): void {
    const kept = new Set(after.map((entry) => entry.key));
    for (const entry of before) {
      if (!kept.has(entry.key) && this.#owners.get(entry.key) === ownerId) this.#owners.free(entry.key);
    }
    for (const entry of after) if (this.#owners.get(entry.key) !== ownerId) this.#owners.set(entry.key, ownerId);
  }

  /**
   * Whether `lookup(canonicalKey(s))` finds exactly the documents the index holds under the string
   * `s`: one field, strings compared as they are. (A partial or sparse index leaves the same
   * documents out of the map as out of its ordered index.)
   */
  get servesStringPoints(): boolean {
    return this.#paths.length === 1 && !this.#fold;
  }

  /** The owner of an equality key on a single-field index without options that hide documents. */
  lookup(key: string): string | undefined {
    return this.#owners.get(key);
  }

  /**
   * Whether every document matching `{ path: value }` is in this index, so a
   * lookup finds all of them. Sparse and partial indexes leave documents out,
   * but not those an equality on a present value matches: a partial filter on
   * this field alone (such as `{ $type: "string" }`) is tried on the value itself.
   */
  servesEqualityOn(value: unknown): boolean {
    if (this.#paths.length !== 1 || this.#fold) return false;
    if (value === null) return !this.#partial && !this.spec.sparse;
    if (!this.#partial) return true;
    const filter = this.spec.partialFilterExpression ?? {};
    if (Object.keys(filter).some((key) => key !== this.path)) return false;
    const probe = storeDoc(
      this.path.split(".").reduceRight<unknown>((inner, part) => ({ [part]: inner }), value) as Doc,
    );
    return this.#partial(probe);
  }

  get path(): string {
    return this.#paths[0]!;
  }

  #duplicate(entry: IndexEntry, namespace: string): CommandError {
    return duplicateKeyError(this.spec, entry.values, namespace);
  }
}

/** mongod's E11000 error for a key of the unique index `spec` (its fields' `values`, in order) that another document holds. */
export function duplicateKeyError(spec: IndexSpec, values: readonly unknown[], namespace: string): CommandError {
  const keyValue: Doc = {};
  Object.keys(spec.key).forEach((path, i) => (keyValue[path] = values[i] ?? null));
  return new CommandError(
    11000,
    `E11000 duplicate key error collection: ${namespace} index: ${spec.name} dup key: ${formatValue(keyValue)}`,
    { keyPattern: spec.key, keyValue },
  );
}
