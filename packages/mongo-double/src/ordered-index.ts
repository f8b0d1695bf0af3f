import BTreeModule from "sorted-btree";
import { foldDeep, foldFor, type Fold } from "./collation.js";
import { allFieldsMissing, indexValues, meetsArray } from "./index-key.js";
import { keyComparator, MAX, MIN, typeEnd, typeStart, type IndexKey } from "./index-order.js";
import { fieldsIndexed, type IndexSpec } from "./index-spec.js";
import { storedKey, storedKeyComparator, type StoredKey } from "./key-encoding.js";
import { compileFilter, type Matcher } from "./query-engine.js";
import type { StoredDoc } from "./stored-doc.js";

// The package is CommonJS with its class on `default`; bundlers hand the class itself to a default import.
const loaded: unknown = BTreeModule;
const BTree = (typeof loaded === "function" ? loaded : BTreeModule.default) as typeof BTreeModule.default;
type Tree = InstanceType<typeof BTree<StoredKey, StoredDoc>>;

/** Marks a pending key as removed (see `OrderedIndex.#pending`). */
const GONE = Symbol("removed");
/** Pending writes an index applies to its tree without waiting for a read (see `OrderedIndex.#pending`). */
const maxPending = 4096;

/** Whether a document belongs in an index: partial and sparse indexes leave some out. */
export function indexMembership(spec: IndexSpec): (record: StoredDoc) => boolean {
  const partial: Matcher | undefined = spec.partialFilterExpression
    ? compileFilter(spec.partialFilterExpression)
    : undefined;
  const paths = Object.keys(spec.key);
  return (record) => (!partial || partial(record)) && !(spec.sparse === true && allFieldsMissing(record.doc, paths));
}

/**
 * An ordered index (a B+ tree) over the view form of documents: one entry per key a document
 * contributes, missing fields keyed as null, strings folded by the index's collation.
 * Once a document puts an array on an indexed path the index stays multikey, as in mongod.
 */
export class OrderedIndex {
  /** Replaced when collMod changes an option that does not change the keys. */
  spec: IndexSpec;
  readonly paths: string[];
  readonly directions: number[];
  readonly fold: Fold | undefined;
  /** Orders keys (bounds, as index-bounds builds them). */
  readonly compare: (a: IndexKey, b: IndexKey) => number;
  /** Orders keys as the tree keeps them (see `stored`). */
  readonly compareStored: (a: StoredKey, b: StoredKey) => number;
  readonly includes: (record: StoredDoc) => boolean;
  #multikeyPaths = new Set<string>();
  /** Each indexed path split at its dots, once. */
  readonly #parts: string[][];
  /** Undefined until a read needs the order, for a lazy index (see `lazy`). */
  #tree: Tree | undefined;
  /**
   * Writes of string keys the tree has not taken yet: each key to the document it now points to,
   * or to GONE. A read applies them first, in key order (see `#current`), so that entries written
   * between reads reach the tree together and in order, and an entry written and removed between
   * two reads (an outbox's) never reaches it.
   */
  readonly #pending = new Map<string, StoredDoc | typeof GONE>();
  /**
   * Documents at this position or later were added since the tree was last brought up to date:
   * their string keys are only in `#pending`, and removing one takes it out of there.
   */
  #freshFrom = 0;
  /** One past the highest position added so far. */
  #positionsEnd = 0;
  readonly #records: () => Iterable<[StoredDoc, number]>;
  /**
   * For an index the collection also keeps a hash map of (the `_id` index, a unique index on one
   * field): the documents stored under a string value, one at most. Lookups of strings go there
   * rather than to the tree.
   */
  readonly points: ((value: string) => StoredDoc | undefined) | undefined;
  /**
   * Whether the tree waits until a read needs the index's order: so it does for an index the
   * collection also keeps a hash map of (the `_id` index, every unique index), which enforces it.
   */
  readonly lazy: boolean;
  /** No document can make this index's keys fail (parallel arrays need two fields). */
  readonly #keysCannotFail: boolean;
  /** The top-level fields its keys and membership depend on (see `fieldsIndexed`). */
  readonly fields: string[];

  /**
   * Takes the documents with their positions in natural order (see `add`); a lazy index builds its
   * tree from `records` when a read first needs it, and writes before then only note arrays.
   */
  constructor(
    spec: IndexSpec,
    records: () => Iterable<[StoredDoc, number]>,
    options: { points?: (value: string) => StoredDoc | undefined; lazy?: boolean } = {},
  ) {
    this.spec = spec;
    this.paths = Object.keys(spec.key);
    this.directions = this.paths.map((path) =>
      typeof spec.key[path] === "number" && (spec.key[path] as number) < 0 ? -1 : 1,
    );
    this.fold = foldFor(spec.collation);
    this.compare = keyComparator(this.directions);
    this.compareStored = storedKeyComparator(this.directions, this.compare);
    this.includes = indexMembership(spec);
    this.#parts = this.paths.map((path) => path.split("."));
    this.#records = records;
    this.points = options.points;
    this.lazy = options.lazy === true;
    this.#keysCannotFail = this.paths.length === 1;
    this.fields = fieldsIndexed(spec);
    if (!this.lazy) this.#built();
    else
      for (const [record, position] of records()) {
        // Keys mongod refuses (parallel arrays) fail the index's creation all the same.
        if (!this.#keysCannotFail) this.keysOf(record, position);
        this.#noteArrays(record);
      }
  }

  /** The tree, built first if it was put off (see `lazy`). */
  #built(): Tree {
    if (this.#tree !== undefined) return this.#tree;
    const tree = new BTree<StoredKey, StoredDoc>(undefined, this.compareStored);
    this.#tree = tree;
    for (const [record, position] of this.#records()) {
      this.#noteAdded(record, position);
      for (const key of this.keysOf(record, position)) tree.set(key, record);
    }
    this.#freshFrom = this.#positionsEnd;
    return tree;
  }

  get multikey(): boolean {
    return this.#multikeyPaths.size > 0;
  }

  /** The indexed paths some document has put an array on (mongod keeps the same per-path record). */
  get multikeyPaths(): ReadonlySet<string> {
    return this.#multikeyPaths;
  }

  get size(): number {
    return this.#current().size;
  }

  /** The tree with every write applied (see `#pending`): what every read goes through. */
  #current(): Tree {
    const tree = this.#built();
    const pending = this.#pending;
    if (pending.size > 0) {
      // Code unit order, which is the order of string keys (see key-encoding).
      for (const key of [...pending.keys()].sort()) {
        const record = pending.get(key)!;
        if (record === GONE) tree.delete(key);
        else tree.set(key, record, true);
      }
      pending.clear();
    }
    this.#freshFrom = this.#positionsEnd;
    return tree;
  }

  /** Points a key at a document: in `#pending`, or in the tree for a key with no string form. */
  #write(key: StoredKey, record: StoredDoc): void {
    if (typeof key !== "string") this.#tree!.set(key, record, true);
    else {
      this.#pending.set(key, record);
      if (this.#pending.size >= maxPending) this.#current();
    }
  }

  /** Removes the key of the document at `position` (see `#write`). */
  #delete(key: StoredKey, position: number): void {
    if (typeof key !== "string") this.#tree!.delete(key);
    // The key of a document added since the tree was last brought up to date can only be pending.
    else if (position >= this.#freshFrom) this.#pending.delete(key);
    else this.#pending.set(key, GONE);
  }

  /**
   * The keys a write hands to `add` or `replace`: none while the tree is put off, as they would
   * be dropped, unless working them out could fail (a compound index meeting arrays on two of
   * its paths), so that parallel arrays still refuse the write before anything changes.
   */
  keysToWrite(record: StoredDoc, position: number): StoredKey[] {
    if (this.#tree !== undefined || this.#couldBeParallel(record)) return this.keysOf(record, position);
    return [];
  }

  /** Whether the document meets arrays on two or more of the paths: only then can its keys fail. */
  #couldBeParallel(record: StoredDoc): boolean {
    if (this.#keysCannotFail) return false;
    let arrays = 0;
    for (const parts of this.#parts) if (meetsArray(record.view, parts) && ++arrays > 1) return true;
    return false;
  }

  /** The keys a document at `position` contributes (none when the index leaves it out), as the tree keeps them. */
  keysOf(record: StoredDoc, position: number): StoredKey[] {
    if (!this.includes(record)) return [];
    const fold = this.fold;
    return indexValues(record.view, this.#parts, fold).map((values) => {
      const key = values.map((value) => (value === undefined ? null : fold ? foldDeep(value, fold) : value));
      key.push(position);
      return this.stored(key);
    });
  }

  /** A key (or a bound) as the tree keeps it: mostly one string, ordered as the key (see key-encoding). */
  stored(key: IndexKey): StoredKey {
    return storedKey(key, this.directions);
  }

  /**
   * Adds a document's keys (`keysOf` it at its position, its place in natural order: equal keys
   * are kept in it, as mongod keeps them in RecordId order).
   */
  add(record: StoredDoc, position: number, keys: readonly StoredKey[]): void {
    this.#noteAdded(record, position);
    if (this.#tree === undefined) return;
    for (const key of keys) this.#write(key, record);
  }

  /** What a document added at `position` tells beyond its keys: the arrays it meets, the positions in use. */
  #noteAdded(record: StoredDoc, position: number): void {
    this.#noteArrays(record);
    if (position >= this.#positionsEnd) this.#positionsEnd = position + 1;
  }

  #noteArrays(record: StoredDoc): void {
    this.#parts.forEach((parts, i) => {
      const path = this.paths[i]!;
      if (!this.#multikeyPaths.has(path) && meetsArray(record.view, parts)) this.#multikeyPaths.add(path);
    });
  }

  remove(record: StoredDoc, position: number): void {
    if (this.#tree === undefined) return;
    for (const key of this.keysOf(record, position)) this.#delete(key, position);
  }

  /**
   * Swaps a document for its updated version. When the update leaves this index's keys as they
   * were (an update that sets other fields), the entries only point to the new version, in place.
   */
  replace(old: StoredDoc, record: StoredDoc, position: number, after: readonly StoredKey[]): void {
    if (this.#tree === undefined) {
      this.#noteArrays(record);
      return;
    }
    const before = this.keysOf(old, position);
    if (before.length === after.length && before.every((key, i) => this.compareStored(key, after[i]!) === 0)) {
      // `a: 5` becoming `a: [5]` keeps the key but makes the index multikey.
      this.#noteArrays(record);
      for (const key of after) this.#write(key, record);
      return;
    }
    for (const key of before) this.#delete(key, position);
    this.add(record, position, after);
  }

  /**
   * Points the entries of a document at its updated version, which holds the same values in every
   * field this index reads (see `fieldsIndexed`): its keys, `keysOf` either version, are unchanged.
   */
  repoint(record: StoredDoc, keys: readonly StoredKey[]): void {
    if (this.#tree === undefined) return;
    for (const key of keys) this.#write(key, record);
  }

  /** Whether some entry's first field holds a value of the BSON type of `rank` (one seek; true when it cannot tell). */
  leadsWithType(rank: number): boolean {
    if (this.directions[0]! < 0) return true;
    const fields = this.paths.slice(1).map(() => MIN);
    const found = this.#current().getPairOrNextHigher(this.stored([typeStart(rank), ...fields, MIN]));
    return found !== undefined && this.compareStored(found[0], this.stored([typeEnd(rank), ...fields, MIN])) < 0;
  }

  /**
   * The documents whose value of the first field is of the BSON type of `rank` and not past
   * `upTo` in that type's order, each once: what a bounded scan of the index visits.
   */
  documentsUpTo(rank: number, upTo: unknown): StoredDoc[] {
    const [from, to] = this.directions[0]! < 0 ? [upTo, typeStart(rank)] : [typeStart(rank), upTo];
    const rest = this.paths.slice(1);
    const lo: IndexKey = [from, ...rest.map(() => MIN), MIN];
    const hi: IndexKey = [to, ...rest.map(() => MAX), MAX];
    const found = new Set<StoredDoc>();
    const last = this.stored(hi);
    for (const [key, record] of this.#current().entries(this.stored(lo))) {
      if (this.compareStored(key, last) > 0) break;
      found.add(record);
    }
    return [...found];
  }

  /** The entries as they are now; later writes do not change it (the tree copies nodes on write). */
  snapshot(): Tree {
    return this.#current().clone();
  }
}

export type IndexSnapshot = ReturnType<OrderedIndex["snapshot"]>;
