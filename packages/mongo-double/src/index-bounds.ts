import { bsonTypeName, isPlainObject, toView, type Doc } from "./bson-values.js";
import { foldDeep, type Fold } from "./collation.js";
import { canonicalKey } from "./index-key.js";
import {
  compareComponent,
  Edge,
  MAX,
  MIN,
  REGEX_RANK,
  STRING_RANK,
  typeEnd,
  typeStart,
  type IndexKey,
} from "./index-order.js";
import type { OrderedIndex } from "./ordered-index.js";
import { typeRank } from "./sort-order.js";

/** The values of one field an index scan visits. */
export interface Interval {
  lo: unknown;
  loInclusive: boolean;
  hi: unknown;
  hiInclusive: boolean;
}

/** A predicate's bounds; exact when the keys inside them are exactly the values it matches. */
export interface FieldBounds {
  intervals: Interval[];
  exact: boolean;
}

/** How the index keys a field's strings: folded as the index's collation says; usable when the query folds alike. */
export interface FieldContext {
  fold: Fold | undefined;
  sameFold: boolean;
  multikey: boolean;
  /** Whether the field holds no regular expressions (known for an index's first field only); asked only of a regex. */
  noRegexes?: () => boolean;
}

const point = (value: unknown): Interval => ({ lo: value, loInclusive: true, hi: value, hiInclusive: true });
const wholeType = (rank: number): Interval => ({
  lo: typeStart(rank),
  loInclusive: true,
  hi: typeEnd(rank),
  hiInclusive: true,
});
// `[v, v)` is empty, not a point: only an interval closed at both ends holds its one value.
export const isPoint = (interval: Interval): boolean =>
  interval.lo === interval.hi && interval.loInclusive && interval.hiInclusive;

const hasString = (value: unknown): boolean =>
  typeof value === "string" ||
  (Array.isArray(value) ? value.some(hasString) : isPlainObject(value) && Object.values(value).some(hasString));

/** Values whose equality an index answers exactly, and that range bounds may start or stop at. */
const isOrderedScalar = (value: unknown): boolean =>
  (typeof value === "number" && !Number.isNaN(value)) ||
  typeof value === "string" ||
  typeof value === "boolean" ||
  value instanceof Date ||
  bsonTypeName(value) === "ObjectId";

function regexOf(value: unknown, options?: unknown): { source: string; flags: string } | undefined {
  const extra = typeof options === "string" ? options : "";
  if (value instanceof RegExp) return { source: value.source, flags: value.flags + extra };
  if (bsonTypeName(value) === "BSONRegExp") {
    const regex = value as { pattern: string; options: string };
    return { source: regex.pattern, flags: regex.options + extra };
  }
  if (typeof value === "string" && options !== undefined) return { source: value, flags: extra };
  return undefined;
}

/** The literal text every match of an anchored pattern starts with, or undefined when it is not anchored. */
export function literalPrefix(source: string, flags: string): string | undefined {
  return anchoredLiteral(source, flags)?.prefix;
}

/** `literalPrefix`, and whether the pattern is that literal and nothing more (`^abc`): then it matches exactly the strings the prefix starts. */
function anchoredLiteral(source: string, flags: string): { prefix: string; whole: boolean } | undefined {
  if (!source.startsWith("^") || source.includes("|") || /[imx]/.test(flags)) return undefined;
  let prefix = "";
  let consumed = 1;
  for (let i = 1; i < source.length; i++) {
    let char = source[i]!;
    if (char === "\\") {
      const next = source[i + 1];
      if (next === undefined || /[A-Za-z0-9]/.test(next)) break;
      char = next;
      i++;
    } else if (".[]()*+?{}^$".includes(char)) break;
    // A quantifier that allows zero of this character ends the prefix before it.
    const after = source[i + 1];
    if (after !== undefined && "*?{".includes(after)) break;
    prefix += char;
    consumed = i + 1;
  }
  const last = prefix.charCodeAt(prefix.length - 1);
  const cut = last >= 0xd800 && last <= 0xdbff;
  // Past U+D7FF, code unit order and the index's code point order part ways, and the interval may hold strings the prefix does not start.
  return {
    prefix: cut ? prefix.slice(0, -1) : prefix,
    whole: consumed === source.length && !/[\ud7ff-\uffff]/.test(prefix),
  };
}

/** Every string that starts with `prefix`: from the prefix up to (not including) its successor. */
function prefixInterval(prefix: string): Interval {
  let upper = prefix;
  while (upper.length > 0 && upper.charCodeAt(upper.length - 1) === 0xffff) upper = upper.slice(0, -1);
  if (upper === "") return { lo: prefix, loInclusive: true, hi: typeEnd(STRING_RANK), hiInclusive: true };
  const successor = upper.slice(0, -1) + String.fromCharCode(upper.charCodeAt(upper.length - 1) + 1);
  return { lo: prefix, loInclusive: true, hi: successor, hiInclusive: false };
}

/** A regex matches strings (a prefix of them when anchored, and keys are not folded) and equal regex values. */
function regexBounds(regex: { source: string; flags: string }, context: FieldContext): FieldBounds {
  const literal = context.fold ? undefined : anchoredLiteral(regex.source, regex.flags);
  const strings = literal === undefined ? wholeType(STRING_RANK) : prefixInterval(literal.prefix);
  // As mongod's bounds for a simple prefix are tight: exact, where no stored regex could match the pattern as a value.
  return {
    intervals: [strings, wholeType(REGEX_RANK)],
    exact: literal?.whole === true && context.noRegexes?.() === true,
  };
}

function equalityBounds(value: unknown, context: FieldContext): FieldBounds | undefined {
  const regex = regexOf(value);
  if (regex) return regexBounds(regex, context);
  if (value === undefined || Array.isArray(value)) return undefined;
  if (hasString(value) && !context.sameFold)
    return typeof value === "string" ? { intervals: [wholeType(STRING_RANK)], exact: false } : undefined;
  return { intervals: [point(context.fold ? foldDeep(value, context.fold) : value)], exact: isOrderedScalar(value) };
}

const boundKey = (bound: unknown): string =>
  bound instanceof Edge ? `edge${bound.rank}:${bound.side}` : canonicalKey(bound);

function inBounds(values: unknown, context: FieldContext): FieldBounds | undefined {
  if (!Array.isArray(values)) return undefined;
  const intervals: Interval[] = [];
  const seen = new Set<string>();
  let exact = true;
  for (const value of values) {
    const bounds = equalityBounds(value, context);
    if (!bounds) return undefined;
    exact &&= bounds.exact;
    for (const interval of bounds.intervals) {
      const key = `${boundKey(interval.lo)}|${boundKey(interval.hi)}`;
      if (!seen.has(key)) intervals.push(interval);
      seen.add(key);
    }
  }
  intervals.sort((a, b) => compareComponent(a.lo, b.lo));
  return { intervals, exact };
}

const LOWER = new Set(["$gt", "$gte"]);
const RANGE = new Set(["$gt", "$gte", "$lt", "$lte"]);

/** `$gt`/`$lt` stay within the bound's BSON type; on a multikey field only one side bounds (an array may match each side with another element). */
function rangeBounds(condition: Doc, context: FieldContext): FieldBounds | undefined {
  let interval: Interval | undefined;
  let exact = true;
  for (const [op, value] of Object.entries(condition)) {
    if (!RANGE.has(op)) continue;
    if (
      !isOrderedScalar(value) ||
      (typeof value === "string" && !context.sameFold) ||
      (interval && (context.multikey || typeRank(value) !== typeRank(interval.lo)))
    ) {
      exact = false;
      if (typeof value === "string" && !interval) interval = wholeType(STRING_RANK);
      continue;
    }
    const key = typeof value === "string" && context.fold ? context.fold(value) : value;
    const rank = typeRank(value);
    interval ??= wholeType(rank);
    if (LOWER.has(op)) {
      const order = compareComponent(key, interval.lo);
      if (order > 0 || (order === 0 && op === "$gt")) interval = { ...interval, lo: key, loInclusive: op === "$gte" };
    } else {
      const order = compareComponent(key, interval.hi);
      if (order < 0 || (order === 0 && op === "$lt")) interval = { ...interval, hi: key, hiInclusive: op === "$lte" };
    }
  }
  return interval && { intervals: [interval], exact };
}

/** The bounds one condition on a field puts on an index over that field. */
export function conditionBounds(condition: unknown, context: FieldContext): FieldBounds | undefined {
  const operators = isPlainObject(condition) ? Object.keys(condition) : [];
  if (!isPlainObject(condition) || !operators.some((op) => op.startsWith("$")))
    return equalityBounds(condition, context);
  const only = (bounds: FieldBounds | undefined, ...consumed: string[]): FieldBounds | undefined =>
    bounds && { ...bounds, exact: bounds.exact && operators.every((op) => consumed.includes(op)) };
  if ("$eq" in condition) return only(equalityBounds(condition.$eq, context), "$eq");
  if ("$in" in condition) return only(inBounds(condition.$in, context), "$in");
  if ("$regex" in condition) {
    const regex = regexOf(condition.$regex, condition.$options ?? "");
    return only(regex && regexBounds(regex, context), "$regex", "$options");
  }
  if (operators.some((op) => RANGE.has(op))) return only(rangeBounds(condition, context), ...RANGE);
  if (Array.isArray(condition.$all) && condition.$all.length > 0 && !isPlainObject(condition.$all[0])) {
    return only(equalityBounds(condition.$all[0], context));
  }
  // As in mongod: a missing field is keyed null, so its documents are among the null keys, with null-valued ones to filter out.
  if (condition.$exists === false) return { intervals: [point(null)], exact: false };
  return undefined;
}

/** The field conditions a filter ANDs together (through `$and`), and whether anything else constrains it. */
export function conjunctsOf(filter: Doc): { conjuncts: Array<[string, unknown]>; others: boolean } {
  const conjuncts: Array<[string, unknown]> = [];
  let others = false;
  for (const [key, condition] of Object.entries(toView(filter) as Doc)) {
    if (key === "$and" && Array.isArray(condition)) {
      for (const part of condition) {
        const inner = isPlainObject(part) ? conjunctsOf(part) : { conjuncts: [], others: true };
        conjuncts.push(...inner.conjuncts);
        others ||= inner.others;
      }
    } else if (key === "$comment") continue;
    else if (key.startsWith("$")) others = true;
    else conjuncts.push([key, condition]);
  }
  return { conjuncts, others };
}

/** The bounds a filter puts on an index: key intervals in index order, and how well they narrow. */
export interface IndexBounds {
  /** Leading fields bound to one value each. */
  equalityPrefix: number;
  /** Leading fields bound to points (one or more values), then whether the next has a range. */
  pointFields: number;
  ranged: boolean;
  /** The keys inside the intervals are exactly the documents the filter matches. */
  exact: boolean;
  /**
   * Every document under a key inside the intervals matches the filter, and every match is
   * there: `exact` but for a multikey index, where one document may sit under several keys.
   */
  decides: boolean;
  intervals: Array<{ lo: IndexKey; hi: IndexKey }>;
  fields: Array<FieldBounds | undefined>;
}

const MAX_POINT_COMBINATIONS = 1000;

/** The best bounds the conditions on one path give (a point beats points beats a range). */
function pathBounds(conjuncts: Array<[string, unknown]>, path: string, context: FieldContext): FieldBounds | undefined {
  const all = conjuncts.filter(([field]) => field === path).map(([, condition]) => conditionBounds(condition, context));
  const rank = (bounds: FieldBounds | undefined): number =>
    !bounds ? 0 : bounds.intervals.every(isPoint) ? (bounds.intervals.length === 1 ? 3 : 2) : 1;
  const best = all.reduce((a, b) => (rank(b) > rank(a) ? b : a), undefined);
  return best && { ...best, exact: best.exact && all.length === 1 };
}

export function indexBounds(index: OrderedIndex, filter: Doc, sameFold: boolean): IndexBounds {
  const { conjuncts, others } = conjunctsOf(filter);
  const context: FieldContext = { fold: index.fold, sameFold, multikey: index.multikey };
  // Fields of a multikey compound index may take their values from different elements: only the first bounds.
  const bounded = index.multikey ? 1 : index.paths.length;
  const fields = index.paths
    .slice(0, bounded)
    .map((path, i) =>
      pathBounds(
        conjuncts,
        path,
        i === 0 ? { ...context, noRegexes: () => !index.leadsWithType(REGEX_RANK) } : context,
      ),
    );
  let prefixes: unknown[][] = [[]];
  let equalityPrefix = 0;
  let pointFields = 0;
  let range: Interval[] | undefined;
  for (const bounds of fields) {
    if (!bounds) break;
    const points = bounds.intervals.every(isPoint);
    if (!points || prefixes.length * bounds.intervals.length > MAX_POINT_COMBINATIONS) {
      range = bounds.intervals;
      break;
    }
    if (bounds.intervals.length === 1 && prefixes.length === 1) equalityPrefix++;
    // An empty `$in` leaves no prefix at all: nothing to scan.
    prefixes = prefixes.flatMap((prefix) => bounds.intervals.map((interval) => [...prefix, interval.lo]));
    pointFields++;
  }
  const rest = (taken: number, edge: typeof MIN): unknown[] =>
    Array<unknown>(index.paths.length - taken + 1).fill(edge);
  const intervals = prefixes.flatMap((prefix) => {
    if (!range) return [{ lo: [...prefix, ...rest(prefix.length, MIN)], hi: [...prefix, ...rest(prefix.length, MAX)] }];
    const descending = index.directions[prefix.length]! < 0;
    return range.map((interval) => {
      const [lo, loInclusive, hi, hiInclusive] = descending
        ? [interval.hi, interval.hiInclusive, interval.lo, interval.loInclusive]
        : [interval.lo, interval.loInclusive, interval.hi, interval.hiInclusive];
      return {
        lo: [...prefix, lo, ...rest(prefix.length + 1, loInclusive ? MIN : MAX)],
        hi: [...prefix, hi, ...rest(prefix.length + 1, hiInclusive ? MAX : MIN)],
      };
    });
  });
  intervals.sort((a, b) => index.compare(a.lo, b.lo));
  const usedPaths = index.paths.slice(0, pointFields + (range ? 1 : 0));
  // On a multikey field an equality, an `$in` or a one-sided range still holds for a document
  // exactly when one of its keys does (conditionBounds leaves two-sided ranges inexact there).
  const decides =
    !others &&
    conjuncts.every(([path]) => usedPaths.includes(path)) &&
    fields.slice(0, usedPaths.length).every((bounds) => bounds?.exact === true);
  return {
    equalityPrefix,
    pointFields,
    ranged: range !== undefined,
    exact: decides && !index.multikey,
    decides,
    intervals,
    fields,
  };
}
