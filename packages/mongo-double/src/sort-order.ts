import { bsonTypeName, bsonTypeOf, isPlainObject, type Doc } from "./bson-values.js";
import { foldFor } from "./collation.js";
import type { Deadline } from "./deadline.js";
import { badValue } from "./errors.js";
import type { StoredDoc } from "./stored-doc.js";

const EMPTY_ARRAY = Symbol("empty array");

// MongoDB's comparison order of BSON types.
export const TYPE_RANK: Readonly<Record<string, number>> = {
  minKey: 1,
  missing: 2,
  null: 2,
  undefined: 2,
  int: 3,
  long: 3,
  double: 3,
  decimal: 3,
  string: 4,
  symbol: 4,
  object: 5,
  array: 6,
  binData: 7,
  objectId: 8,
  bool: 9,
  date: 10,
  timestamp: 11,
  regex: 12,
  maxKey: 13,
};

/** A value's place in MongoDB's comparison order of BSON types (values of equal rank compare by value). */
export const typeRank = (value: unknown): number => TYPE_RANK[bsonTypeOf(value)] ?? 14;

const simple = (a: string | number | boolean, b: string | number | boolean): number => (a < b ? -1 : a > b ? 1 : 0);

/** Moves code units so that UTF-16 order becomes code point order: surrogates above U+E000–U+FFFF. */
export const codePointRank = (unit: number): number =>
  unit >= 0xe000 ? unit - 0x800 : unit >= 0xd800 ? unit + 0x2000 : unit;

/** The code unit `codePointRank` moved to `rank`. */
export const fromCodePointRank = (rank: number): number =>
  rank >= 0xf800 ? rank - 0x2000 : rank >= 0xd800 ? rank + 0x800 : rank;

/** Compares strings as mongod does: by their UTF-8 bytes, which is code point order. */
export function compareUtf8(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return x < 0xd800 && y < 0xd800 ? x - y : codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** Whether a string holds a code unit whose UTF-16 order differs from its UTF-8 order. */
export const hasHighUnits = (s: string): boolean => /[\uD800-\uFFFF]/.test(s);

/** The string with its code units moved so that comparing results with `<` is comparing UTF-8 bytes. */
export function inUtf8Order(s: string): string {
  if (!hasHighUnits(s)) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) out += String.fromCharCode(codePointRank(s.charCodeAt(i)));
  return out;
}

/** An ObjectId as bson 7 keeps it: its twelve bytes are written out on request. */
export interface ObjectIdLike {
  serializeInto(bytes: Uint8Array, index: number): number;
}

const objectIdBytes = [new Uint8Array(12), new Uint8Array(12)] as const;

/**
 * Orders ObjectIds by their twelve bytes, as mongod does. The bytes are written into two buffers
 * kept for the purpose: bson's `id` getter builds a new buffer on every read, and `String` builds
 * hex text, which made index keys ending in an `_id` cost an allocation per comparison.
 */
export function compareObjectIds(a: ObjectIdLike, b: ObjectIdLike): number {
  const [x, y] = objectIdBytes;
  a.serializeInto(x, 0);
  b.serializeInto(y, 0);
  for (let i = 0; i < 12; i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  return 0;
}

/** Types that have a single value, or (null, undefined, missing) compare as one: always equal. */
const UNIT_RANKS = new Set([TYPE_RANK.minKey, TYPE_RANK.null, TYPE_RANK.maxKey]);

/** Compares two view values in MongoDB's order; strings through the collation when given. */
export function bsonCompare(a: unknown, b: unknown, collator?: Intl.Collator): number {
  if (a === EMPTY_ARRAY || b === EMPTY_ARRAY) return a === b ? 0 : a === EMPTY_ARRAY ? -1 : 1;
  const typeA = bsonTypeOf(a);
  const typeB = bsonTypeOf(b);
  const rank = simple(TYPE_RANK[typeA] ?? 14, TYPE_RANK[typeB] ?? 14);
  if (rank !== 0) return rank;
  if (UNIT_RANKS.has(TYPE_RANK[typeA])) return 0;
  if (typeof a === "number" && typeof b === "number") return simple(a, b);
  if (typeof a === "string" && typeof b === "string")
    return collator ? collator.compare(a, b) : Math.sign(compareUtf8(a, b));
  if (typeof a === "boolean" && typeof b === "boolean") return simple(a, b);
  if (a instanceof Date && b instanceof Date) return simple(a.getTime(), b.getTime());
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const order = bsonCompare(a[i], b[i], collator);
      if (order !== 0) return order;
    }
    return simple(a.length, b.length);
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keysA = Object.keys(a);
    const keysB = Object.keys(b);
    for (let i = 0; i < Math.min(keysA.length, keysB.length); i++) {
      const order = Math.sign(compareUtf8(keysA[i]!, keysB[i]!)) || bsonCompare(a[keysA[i]!], b[keysB[i]!], collator);
      if (order !== 0) return order;
    }
    return simple(keysA.length, keysB.length);
  }
  if (bsonTypeName(a) === "ObjectId") return compareObjectIds(a as ObjectIdLike, b as ObjectIdLike);
  return simple(String(a), String(b));
}

/** Values a sort path reaches, with arrays opened (a document sorts by one of its elements). */
function sortCandidates(value: unknown, parts: string[]): unknown[] {
  // The common case, a top-level field holding a scalar, without the general walk's arrays.
  if (parts.length === 1 && isPlainObject(value)) {
    const field = value[parts[0]!];
    if (!Array.isArray(field) && !isPlainObject(field)) return [field];
  }
  if (parts.length === 0) {
    if (Array.isArray(value)) return value.length === 0 ? [EMPTY_ARRAY] : value;
    return [value];
  }
  const [head, ...rest] = parts as [string, ...string[]];
  if (Array.isArray(value)) {
    const found = value.flatMap((item) => (isPlainObject(item) ? sortCandidates(item, parts) : []));
    return found.length ? found : [undefined];
  }
  return isPlainObject(value) ? sortCandidates(value[head], rest) : [undefined];
}

/** MongoDB sorts ascending by an array's smallest element and descending by its largest. */
function sortKey(view: Doc, parts: string[], direction: number, collator?: Intl.Collator): unknown {
  const candidates = sortCandidates(view, parts);
  let best = candidates[0];
  for (const candidate of candidates.slice(1)) {
    const order = bsonCompare(candidate, best, collator);
    if (direction > 0 ? order < 0 : order > 0) best = candidate;
  }
  return best;
}

interface Keyed {
  record: StoredDoc;
  keys: unknown[];
}

/** How a sort specification orders records: by `$natural` (1 or -1), or by keys and a comparison. */
type SortOrder = { natural: number } | { keysOf(record: StoredDoc): unknown[]; compare(x: Keyed, y: Keyed): number };

function sortOrder(spec: Doc, collation?: unknown): SortOrder {
  const fields = Object.entries(spec).map(([path, direction]) => {
    const n = typeof direction === "number" ? direction : Number(direction);
    if (n !== 1 && n !== -1) throw badValue("$sort key ordering must be 1 (for ascending) or -1 (for descending)");
    return { parts: path.split("."), path, direction: n };
  });
  const natural = fields.find((field) => field.path === "$natural");
  if (natural) return { natural: natural.direction };
  const collator = foldFor(collation)
    ? new Intl.Collator((collation as { locale: string }).locale.replaceAll("_", "-"), {
        sensitivity: (collation as { strength?: number }).strength === 1 ? "base" : "accent",
      })
    : undefined;
  return {
    keysOf: (record) => fields.map((field) => sortKey(record.view, field.parts, field.direction, collator)),
    compare: (x, y) => {
      for (let i = 0; i < fields.length; i++) {
        const order = bsonCompare(x.keys[i], y.keys[i], collator);
        if (order !== 0) return order * fields[i]!.direction;
      }
      return 0;
    },
  };
}

/**
 * Compares stored documents by a sort specification of fields (not `$natural`), each document's
 * keys worked out once: for merging streams that are each already in that order.
 */
export function recordComparator(spec: Doc, collation?: unknown): (a: StoredDoc, b: StoredDoc) => number {
  const order = sortOrder(spec, collation);
  if ("natural" in order) throw badValue("$natural cannot order a merge");
  const keys = new WeakMap<StoredDoc, Keyed>();
  const keyed = (record: StoredDoc): Keyed => {
    let entry = keys.get(record);
    if (entry === undefined) keys.set(record, (entry = { record, keys: order.keysOf(record) }));
    return entry;
  };
  return (a, b) => order.compare(keyed(a), keyed(b));
}

const inNaturalOrder = (records: StoredDoc[], direction: number): StoredDoc[] =>
  direction < 0 ? [...records].reverse() : records;

/** Sorts stored documents by a sort specification (stable, like a collection scan), in one go. */
export function sortRecords(records: StoredDoc[], spec: Doc, collation?: unknown): StoredDoc[] {
  const order = sortOrder(spec, collation);
  if ("natural" in order) return inNaturalOrder(records, order.natural);
  return records
    .map((record) => ({ record, keys: order.keysOf(record) }))
    .sort(order.compare)
    .map((entry) => entry.record);
}

/** Records sorted in runs of this many at once; runs are then merged in slices. */
const RUN = 256;

/**
 * The same sort for reads, in slices that let other commands run between them (see Deadline):
 * keys are computed record by record, runs sorted, then merged pairwise (stable: ties keep
 * the order they came in).
 */
export async function sortRecordsInSlices(
  records: StoredDoc[],
  spec: Doc,
  collation: unknown,
  deadline: Deadline,
  limit = 0,
): Promise<StoredDoc[]> {
  const order = sortOrder(spec, collation);
  if ("natural" in order) return inNaturalOrder(records, order.natural);
  if (limit > 0 && limit * 4 < records.length) return firstInOrder(records, order, deadline, limit);
  let runs: Keyed[][] = [];
  for (let start = 0; start < records.length; start += RUN) {
    const run = records.slice(start, start + RUN).map((record) => ({ record, keys: order.keysOf(record) }));
    runs.push(run.sort(order.compare));
    const pause = deadline.step(run.length * Math.log2(RUN));
    if (pause) await pause;
  }
  while (runs.length > 1) {
    const merged: Keyed[][] = [];
    for (let i = 0; i < runs.length; i += 2) {
      merged.push(i + 1 < runs.length ? await merge(runs[i]!, runs[i + 1]!, order.compare, deadline) : runs[i]!);
    }
    runs = merged;
  }
  return (runs[0] ?? []).map((entry) => entry.record);
}

/**
 * The first `limit` records in the order, as a sort with a limit keeps them (mongod's top-k
 * SORT): each record is compared with the last kept one and most go no further, so a small page
 * of many matches costs about one comparison per match. Ties keep the order they came in.
 */
async function firstInOrder(
  records: StoredDoc[],
  order: Exclude<SortOrder, { natural: number }>,
  deadline: Deadline,
  limit: number,
): Promise<StoredDoc[]> {
  const kept: Keyed[] = [];
  for (const record of records) {
    const entry = { record, keys: order.keysOf(record) };
    if (kept.length < limit || order.compare(entry, kept[kept.length - 1]!) < 0) {
      let lo = 0;
      let hi = kept.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (order.compare(entry, kept[mid]!) < 0) hi = mid;
        else lo = mid + 1;
      }
      kept.splice(lo, 0, entry);
      if (kept.length > limit) kept.pop();
    }
    const pause = deadline.step();
    if (pause) await pause;
  }
  return kept.map((entry) => entry.record);
}

async function merge(
  left: Keyed[],
  right: Keyed[],
  compare: (x: Keyed, y: Keyed) => number,
  deadline: Deadline,
): Promise<Keyed[]> {
  const out: Keyed[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length && j < right.length) {
    out.push(compare(right[j]!, left[i]!) < 0 ? right[j++]! : left[i++]!);
    const pause = deadline.step();
    if (pause) await pause;
  }
  for (; i < left.length; i++) out.push(left[i]!);
  for (; j < right.length; j++) out.push(right[j]!);
  return out;
}
