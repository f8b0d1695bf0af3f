import { isNumeric, isPlainObject, toNumber, toView, type Doc } from "./bson-values.js";
import { badValue } from "./errors.js";
import type { Collection } from "./collection.js";
import { foldFor } from "./collation.js";
import { canonicalKey } from "./index-key.js";
import { sameKeyPattern } from "./index-spec.js";
import { conditionBounds, conjunctsOf, indexBounds, isPoint, type IndexBounds } from "./index-bounds.js";
import { MAX, MIN, type IndexKey } from "./index-order.js";
import type { StoredKey } from "./key-encoding.js";
import type { OrderedIndex } from "./ordered-index.js";
import { recordComparator } from "./sort-order.js";
import { storeDoc, type StoredDoc } from "./stored-doc.js";

/** One index scan: the index, its key intervals, and the direction that serves the sort (0: none). */
export interface IndexScan {
  index: OrderedIndex;
  bounds: IndexBounds;
  sortDirection: 0 | 1 | -1;
}

/**
 * How a query reads the collection: every document, one index scan, or one scan per `$or` branch.
 * With `mergeSort` each branch's scan returns its documents in that order and the branches are
 * merged in it (mongod's SORT_MERGE), so the plan serves the sort; without it they are read one
 * after another.
 */
export type Plan =
  | { kind: "collscan"; direction?: -1 }
  | ({ kind: "ixscan" } & IndexScan)
  | { kind: "or"; scans: IndexScan[]; mergeSort?: Doc; collation?: unknown };

/** Whether a plan returns documents in the order of the sort it was planned for. */
export const servesSort = (plan: Plan): boolean =>
  plan.kind === "ixscan" ? plan.sortDirection !== 0 : plan.kind === "or" && plan.mergeSort !== undefined;

/** What the scan examined, as explain reports it. */
export interface ScanStats {
  keysExamined: number;
  docsExamined: number;
}

/** Which strings a collation makes equal: an index answers string predicates only for a query that folds alike. */
function foldKind(collation: unknown): string {
  return foldFor(collation) ? String((collation as { strength?: unknown }).strength ?? 3) : "binary";
}

const hasCollation = (collation: unknown): boolean => isPlainObject(collation) && collation.locale !== "simple";

/**
 * Whether every document the filter matches is in a partial index, proved as mongod proves it
 * (expression_algo's isSubsetOf): each condition of the partial filter appears as it is in the
 * filter, or the filter pins the field to values that pass it. A `$type` condition is proved only
 * by the same `$type` in the filter: mongod does not infer it from the values, so a lookup of a
 * string through an index partial on `{$type: "string"}` must say `$type` to use it.
 */
function filterImpliesPartial(index: OrderedIndex, filter: Doc): boolean {
  const partial = index.spec.partialFilterExpression as Doc | undefined;
  if (!partial) return true;
  const { conjuncts } = conjunctsOf(filter);
  const passes = index.includes;
  const pinnedToPassing = (path: string, condition: unknown): boolean => {
    const bounds = conditionBounds(condition, { fold: undefined, sameFold: true, multikey: true });
    if (!bounds?.intervals.every(isPoint)) return false;
    return bounds.intervals.every(
      ({ lo }) =>
        lo !== null &&
        passes(storeDoc(path.split(".").reduceRight<unknown>((inner, part) => ({ [part]: inner }), lo) as Doc)),
    );
  };
  return Object.entries(toView(partial) as Doc).every(([path, wanted]) =>
    conjuncts.some(([field, condition]) => {
      if (field !== path) return false;
      if (canonicalKey(condition) === canonicalKey(wanted)) return true;
      if (isPlainObject(wanted) && "$type" in wanted) {
        const typed =
          isPlainObject(condition) &&
          "$type" in condition &&
          canonicalKey(condition.$type) === canonicalKey(wanted.$type);
        return typed && (Object.keys(wanted).length === 1 || pinnedToPassing(path, condition));
      }
      return pinnedToPassing(path, condition);
    }),
  );
}

/**
 * Whether the index's array paths all come before `start`, each pinned to one value: a document
 * then sits under one key of the scan, and the keys follow the paths from `start` on.
 */
function arraysPinnedBefore(index: OrderedIndex, bounds: IndexBounds, start: number): boolean {
  return index.paths.every((path, i) => {
    if (!index.multikeyPaths.has(path)) return true;
    const intervals = bounds.fields[i]?.intervals;
    return i < start && intervals?.length === 1 && isPoint(intervals[0]!);
  });
}

/** The direction an index scan must take to return documents in the sort's order, or 0. */
function sortDirection(
  index: OrderedIndex,
  bounds: IndexBounds,
  sort: Doc | undefined,
  collation: unknown,
): 0 | 1 | -1 {
  const fields = Object.entries(sort ?? {});
  if (fields.length === 0 || index.spec.collation !== undefined || hasCollation(collation)) return 0;
  for (let start = 0; start <= bounds.equalityPrefix && start + fields.length <= index.paths.length; start++) {
    if (!arraysPinnedBefore(index, bounds, start)) continue;
    let direction: number | undefined;
    const served = fields.every(([path, value], i) => {
      if (path !== index.paths[start + i] || !isNumeric(value)) return false;
      const relative = Math.sign(toNumber(value)) * index.directions[start + i]!;
      direction ??= relative;
      return relative === direction;
    });
    if (served && direction !== undefined) return direction > 0 ? 1 : -1;
  }
  return 0;
}

/** The index scan an index offers for a filter, or undefined when it neither narrows nor sorts. */
function scanFor(index: OrderedIndex, filter: Doc, sort: Doc | undefined, collation: unknown): IndexScan | undefined {
  if (index.spec.hidden === true || !filterImpliesPartial(index, filter)) return undefined;
  const bounds = indexBounds(index, filter, foldKind(index.spec.collation) === foldKind(collation));
  const narrows = bounds.pointFields > 0 || bounds.ranged;
  // A sparse index lacks the documents without the field: only a bound that excludes null may use it.
  if (index.spec.sparse === true && !(narrows && bounds.fields[0]?.intervals.every((interval) => interval.lo !== null)))
    return undefined;
  const direction = sortDirection(index, bounds, sort, collation);
  return narrows || direction !== 0 ? { index, bounds, sortDirection: direction } : undefined;
}

/**
 * How well a scan serves: how much its bounds narrow, whether it returns the sort's order, then,
 * of scans alike in both, one the index's hash map answers (see `stringPoints`), else one through
 * an index that keeps its tree (a lazy one would build it for the read, and maintain it from then
 * on: see OrderedIndex.lazy), then the narrowest index.
 */
const score = (scan: IndexScan): number[] => [
  scan.bounds.pointFields * 2 + (scan.bounds.ranged ? 1 : 0),
  scan.sortDirection === 0 ? 0 : 1,
  stringPoints(scan) !== undefined ? 2 : scan.index.lazy ? 0 : 1,
  -scan.index.paths.length,
];

function better(a: IndexScan, b: IndexScan): boolean {
  const [x, y] = [score(a), score(b)];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! > y[i]!;
  return false;
}

const narrows = (scan: IndexScan | undefined): boolean =>
  scan !== undefined && (scan.bounds.pointFields > 0 || scan.bounds.ranged);

/**
 * Whether an index may offer a scan: its leading field is one the filter constrains, or the
 * sort's first. Any other yields no bounds, and a sort it serves must start at its leading
 * field, so `scanFor` would turn it down; skipping it spares working out its bounds.
 */
function mayScan(filter: Doc, sort: Doc | undefined): (index: OrderedIndex) => boolean {
  const fields = new Set(conjunctsOf(filter).conjuncts.map(([field]) => field));
  const sortFirst = sort === undefined ? undefined : Object.keys(sort)[0];
  return (index) => fields.has(index.paths[0]!) || index.paths[0] === sortFirst;
}

function bestScan(
  indexes: OrderedIndex[],
  filter: Doc,
  sort: Doc | undefined,
  collation: unknown,
  accept: (scan: IndexScan) => boolean = () => true,
): IndexScan | undefined {
  let best: IndexScan | undefined;
  const worthWeighing = mayScan(filter, sort);
  for (const index of indexes) {
    if (!worthWeighing(index)) continue;
    const scan = scanFor(index, filter, sort, collation);
    if (scan && accept(scan) && (!best || better(scan, best))) best = scan;
  }
  return best;
}

const hasSort = (sort: Doc | undefined): sort is Doc => sort !== undefined && Object.keys(sort).length > 0;

/** One narrowing scan per `$or` branch, each in the sort's order when `sort` is given; undefined when a branch has none. */
function branchScans(
  indexes: OrderedIndex[],
  branches: Doc[],
  sort: Doc | undefined,
  collation: unknown,
): IndexScan[] | undefined {
  const scans = branches.map((branch) =>
    bestScan(
      indexes,
      branch,
      sort,
      collation,
      (scan) => narrows(scan) && (sort === undefined || scan.sortDirection !== 0),
    ),
  );
  return scans.every(narrows) ? (scans as IndexScan[]) : undefined;
}

/**
 * A filter that pins `_id` alone to one value, with no sort, reads the `_id` index without weighing
 * the others (mongod's IDHACK): none can narrow more, and it is what every lookup by id sends.
 */
function idLookup(indexes: OrderedIndex[], filter: Doc, sort: Doc | undefined, collation: unknown): Plan | undefined {
  const fields = Object.keys(filter);
  if (
    fields.length !== 1 ||
    fields[0] !== "_id" ||
    isPlainObject(filter._id) ||
    Array.isArray(filter._id) ||
    filter._id instanceof RegExp
  )
    return undefined;
  if (sort !== undefined && Object.keys(sort).length > 0) return undefined;
  const idIndex = indexes.find((index) => index.spec.name === "_id_");
  const scan = idIndex && scanFor(idIndex, filter, undefined, collation);
  return scan !== undefined && scan.bounds.pointFields > 0 ? { kind: "ixscan", ...scan } : undefined;
}

/** What a command's `hint` makes every read of it use: one index, or the collection in natural order. */
export type Forced = { index: OrderedIndex } | { natural: 1 | -1 };

/**
 * What a `hint` (an index's name or key pattern, or `{$natural: ±1}`) forces, as mongod reads it:
 * none for no hint, an empty one or a collection that does not exist; BadValue for an index the
 * collection lacks or hides, as mongod's planner refuses it.
 */
export function forcedBy(collection: Collection | undefined, hint: unknown): Forced | undefined {
  if (hint === undefined || hint === null || hint === "") return undefined;
  if (typeof hint !== "string" && !isPlainObject(hint)) throw badValue("hint must be a string or an object");
  if (isPlainObject(hint)) {
    const fields = Object.keys(hint);
    if (fields.length === 0) return undefined;
    if (fields[0] === "$natural") return { natural: toNumber(hint.$natural) < 0 ? -1 : 1 };
  }
  if (collection === undefined) return undefined;
  const index = collection
    .orderedIndexes()
    .find((each) => (typeof hint === "string" ? each.spec.name === hint : sameKeyPattern(each.spec.key, hint as Doc)));
  if (index === undefined || index.spec.hidden === true)
    throw badValue("planner returned error :: caused by :: hint provided does not correspond to an existing index");
  return { index };
}

/**
 * Chooses how to read the documents a filter may match: the index whose bounds narrow most
 * (equality before ranges), then one that returns them in the sort's order; for a top-level
 * `$or`, one narrowing scan per branch when every branch has one, merged in the sort's order
 * when every branch has one that returns it; else a collection scan. A hint decides instead: the
 * hinted index with the bounds the filter gives it (all of it when none), sparse or partial
 * alike, so that a hinted index that lacks some matches misses them, as in mongod.
 */
export function planQuery(collection: Collection, filter: Doc, collation: unknown, sort?: Doc, forced?: Forced): Plan {
  if (forced !== undefined && "natural" in forced)
    return forced.natural < 0 ? { kind: "collscan", direction: -1 } : { kind: "collscan" };
  if (forced !== undefined) {
    const { index } = forced;
    const bounds = indexBounds(index, filter, foldKind(index.spec.collation) === foldKind(collation));
    return { kind: "ixscan", index, bounds, sortDirection: sortDirection(index, bounds, sort, collation) };
  }
  const indexes = collection.orderedIndexes();
  const byId = idLookup(indexes, filter, sort, collation);
  if (byId !== undefined) return byId;
  const best = bestScan(indexes, filter, sort, collation);
  if (best && narrows(best)) return { kind: "ixscan", ...best };
  const branches = Array.isArray(filter.$or) ? filter.$or : [];
  if (branches.length > 0 && branches.every(isPlainObject)) {
    const merged =
      hasSort(sort) && !("$natural" in sort) ? branchScans(indexes, branches as Doc[], sort, collation) : undefined;
    if (merged !== undefined) return { kind: "or", scans: merged, mergeSort: sort, collation };
    const scans = branchScans(indexes, branches as Doc[], undefined, collation);
    if (scans !== undefined) return { kind: "or", scans };
  }
  return best ? { kind: "ixscan", ...best } : { kind: "collscan" };
}

/**
 * For a plan that does not return the sort's order: the scan of an index that does, the
 * narrowest such, which a limited find may race against it (see `findRecords`).
 */
export function orderedAlternative(
  collection: Collection,
  filter: Doc,
  collation: unknown,
  sort: Doc | undefined,
  plan: Plan,
): Plan | undefined {
  if (!hasSort(sort) || servesSort(plan)) return undefined;
  const scan = bestScan(collection.orderedIndexes(), filter, sort, collation, (s) => s.sortDirection !== 0);
  return scan === undefined ? undefined : { kind: "ixscan", ...scan };
}

/**
 * What is left of a filter to test on the documents a scan returns: the filter less the
 * conditions its bounds decide (a scanned field with exact bounds, named by that one condition).
 * Undefined when the bounds decide none; `$comment` is dropped, other operators are kept.
 */
export function residualFilter(scan: IndexScan, filter: Doc): Doc | undefined {
  const { bounds, index } = scan;
  const used = index.paths.slice(0, bounds.pointFields + (bounds.ranged ? 1 : 0));
  const decided = new Set(used.filter((_, i) => bounds.fields[i]?.exact === true));
  if (decided.size === 0) return undefined;
  const rest: Doc[] = [];
  let left = false;
  const walk = (part: Doc): void => {
    for (const [key, condition] of Object.entries(part)) {
      if (key === "$and" && Array.isArray(condition) && condition.every(isPlainObject)) condition.forEach(walk);
      else if (decided.has(key)) left = true;
      else if (key !== "$comment") rest.push({ [key]: condition });
    }
  };
  walk(filter);
  if (!left) return undefined;
  return rest.length === 0 ? {} : { $and: rest };
}

/**
 * The strings a scan pins, one per interval in the scan's order, when its index answers lookups
 * of strings from a hash map (the `_id` index, a unique index on one field: see OrderedIndex.points);
 * undefined unless every interval is such a point. The entries inside one are the document stored
 * under that value, or none.
 */
function stringPoints(scan: IndexScan): string[] | undefined {
  if (scan.index.points === undefined) return undefined;
  const values: string[] = [];
  for (const { lo, hi } of scan.bounds.intervals) {
    const [value, loEdge] = lo as IndexKey;
    const [hiValue, hiEdge] = hi as IndexKey;
    if (typeof value !== "string" || hiValue !== value || loEdge !== MIN || hiEdge !== MAX) return undefined;
    values.push(value);
  }
  return scan.sortDirection < 0 ? values.reverse() : values;
}

/**
 * The index entries of one scan in its order, each interval in turn. Lookups of strings in an index
 * that keeps a hash map (every read by id, by a unique name or hash) take the documents from the
 * map, all at once when the scan starts, as they are in a snapshot of the index then: one hash
 * lookup each instead of a seek.
 */
function* entriesOf(scan: IndexScan, stats: ScanStats): Generator<StoredDoc> {
  const points = scan.index.points;
  const values = stringPoints(scan);
  if (points !== undefined && values !== undefined) {
    const found = values.map(points);
    for (const record of found) {
      if (record === undefined) continue;
      stats.keysExamined++;
      yield record;
    }
    return;
  }
  const tree = scan.index.snapshot();
  const compare = scan.index.compareStored;
  const descending = scan.sortDirection < 0;
  const intervals = descending ? [...scan.bounds.intervals].reverse() : scan.bounds.intervals;
  for (const bounds of intervals) {
    const lo = scan.index.stored(bounds.lo);
    const hi = scan.index.stored(bounds.hi);
    const entries = descending ? tree.entriesReversed(hi) : tree.entries(lo);
    // The first key past the interval (null: none), looked up once a scan proves long: then each
    // key is checked by identity rather than compared with the bound.
    let past: StoredKey | null | undefined;
    let examined = 0;
    for (const [key, record] of entries) {
      if (past === undefined) {
        if (descending ? compare(key, lo) < 0 : compare(key, hi) > 0) break;
        if (++examined === LONG_SCAN)
          past = (descending ? tree.nextLowerPair(lo) : tree.nextHigherPair(hi))?.[0] ?? null;
      } else if (key === past) break;
      stats.keysExamined++;
      yield record;
    }
  }
}

/** Keys a scan compares with its bound before it looks up where the bound ends: about what that seek costs in comparisons, so a scan never pays more than twice what it would have. */
const LONG_SCAN = 32;

/**
 * The documents a plan reads, each once, in the plan's order. Index scans read a snapshot of
 * the index and a collection scan the documents as they were when it started, so a read that
 * yields between slices never sees a write half-applied.
 */
export function* candidates(collection: Collection, plan: Plan, stats: ScanStats): Generator<StoredDoc> {
  if (plan.kind === "collscan") {
    const records = collection.all();
    if (plan.direction === -1) records.reverse();
    for (const record of records) {
      stats.docsExamined++;
      yield record;
    }
    return;
  }
  const scans = plan.kind === "or" ? plan.scans : [plan];
  // A document may sit under several keys (multikey) or in several intervals (a regex and a value of `$in`).
  const seen =
    plan.kind === "or" || plan.index.multikey || plan.bounds.intervals.length > 1 ? new Set<StoredDoc>() : undefined;
  for (const [record] of scanEntries(plan, scans, stats)) {
    if (seen?.has(record)) continue;
    seen?.add(record);
    stats.docsExamined++;
    yield record;
  }
}

/**
 * The index entries of an `$or` plan, each with the branch whose scan found it, in the plan's
 * order. A document comes once per branch whose bounds hold it: the reader tests it on that
 * branch (counting it examined) unless it has kept it already, so a document a branch's scan
 * finds but its filter refuses is examined again by the branch it matches.
 */
export function branchCandidates(
  plan: Extract<Plan, { kind: "or" }>,
  stats: ScanStats,
): Generator<[StoredDoc, number]> {
  return scanEntries(plan, plan.scans, stats);
}

function scanEntries(plan: Exclude<Plan, { kind: "collscan" }>, scans: IndexScan[], stats: ScanStats) {
  return plan.kind === "or" && plan.mergeSort !== undefined
    ? mergedEntries(plan.scans, recordComparator(plan.mergeSort, plan.collation), stats)
    : inTurn(scans, stats);
}

function* inTurn(scans: IndexScan[], stats: ScanStats): Generator<[StoredDoc, number]> {
  for (const [i, scan] of scans.entries()) for (const record of entriesOf(scan, stats)) yield [record, i];
}

/**
 * The entries of scans that each return documents in one order, merged in it: the heads of
 * every scan are compared and the least taken, so a limited read stops after its page whatever
 * the branches match (equal documents come from the earlier branch first).
 */
function* mergedEntries(
  scans: IndexScan[],
  compare: (a: StoredDoc, b: StoredDoc) => number,
  stats: ScanStats,
): Generator<[StoredDoc, number]> {
  // Every scan starts now, so all of them read the index as it is at the same moment.
  const streams = scans.map((scan) => entriesOf(scan, stats));
  const heads = streams.map((stream) => stream.next());
  for (;;) {
    let least = -1;
    heads.forEach((head, i) => {
      if (!head.done && (least < 0 || compare(head.value, (heads[least] as IteratorYieldResult<StoredDoc>).value) < 0))
        least = i;
    });
    if (least < 0) return;
    yield [(heads[least] as IteratorYieldResult<StoredDoc>).value, least];
    heads[least] = streams[least]!.next();
  }
}

/** The number of keys inside a scan's bounds (a count answered from the index alone). */
export function* countedKeys(scan: IndexScan, stats: ScanStats): Generator<void> {
  for (const _record of entriesOf(scan, stats)) yield;
}
