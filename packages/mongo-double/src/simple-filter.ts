import { isPlainObject, toView, type Doc } from "./bson-values.js";
import { sortCollation } from "./collation.js";
import { hasHighUnits } from "./sort-order.js";
import type { StoredDoc } from "./stored-doc.js";

/** A field's test: whether its value passes, or undefined where only the query engine can tell. */
type Test = (value: unknown) => boolean | undefined;

/** Equal to a scalar, or an array holding it, as MongoDB's equality reads an array field. */
const holding =
  (equal: (value: unknown) => boolean): Test =>
  (value) =>
    equal(value) || (Array.isArray(value) && value.some(equal));

/** A test for one scalar, or undefined for values whose equality has more rules than `===` (null, numbers' types, documents, regexes). */
function scalarTest(wanted: unknown): Test | undefined {
  if (
    typeof wanted === "string" ||
    typeof wanted === "boolean" ||
    (typeof wanted === "number" && Number.isFinite(wanted))
  ) {
    return holding((value) => value === wanted);
  }
  if (wanted instanceof Date) {
    const time = wanted.getTime();
    return holding((value) => value instanceof Date && value.getTime() === time);
  }
  return undefined;
}

/**
 * `{ $in: [strings] }`, the shape of batched lookups by id, and `{ $nin: [strings] }`, which matches
 * exactly what `$in` of the same strings does not (a missing field, null, any other value).
 */
function stringsTest(condition: Doc, operator: "$in" | "$nin"): Test | undefined {
  const wanted = condition[operator];
  if (
    Object.keys(condition).length !== 1 ||
    !Array.isArray(wanted) ||
    !wanted.every((item) => typeof item === "string")
  )
    return undefined;
  const strings = new Set<unknown>(wanted);
  const among = holding((value) => typeof value === "string" && strings.has(value));
  return operator === "$in" ? among : (value) => !among(value);
}

/**
 * `{ $regex, $options }`, built as the query engine builds it: strings (or arrays of strings) are
 * tested, a missing or null field or another scalar never matches, and any other value is left to the engine.
 */
function regexTest(condition: Doc): Test | undefined {
  const { $regex: source, $options: options, ...rest } = condition;
  if (Object.keys(rest).length > 0 || (options !== undefined && typeof options !== "string")) return undefined;
  if (!(typeof source === "string" || (source instanceof RegExp && options === undefined))) return undefined;
  let regex: RegExp;
  try {
    regex = new RegExp(source, options);
  } catch {
    // The engine reports the pattern or options it refuses.
    return undefined;
  }
  // A global or sticky pattern remembers where it stopped; the engine's handling of it is the reference.
  if (regex.global || regex.sticky) return undefined;
  return (value) => {
    if (typeof value === "string") return regex.test(value);
    if (value === undefined || value === null || typeof value !== "object") return false;
    if (Array.isArray(value) && value.every((item) => typeof item === "string"))
      return value.some((s) => regex.test(s));
    return undefined;
  };
}

const RANGES: Record<string, (order: number) => boolean> = {
  $gt: (order) => order > 0,
  $gte: (order) => order >= 0,
  $lt: (order) => order < 0,
  $lte: (order) => order <= 0,
};

/** How a range bound orders values of its own type; undefined for bounds left to the engine. */
function orderAgainst(bound: unknown): ((value: unknown) => number | undefined) | undefined {
  const simple = (a: number | string, b: number | string): number => (a < b ? -1 : a > b ? 1 : 0);
  if (typeof bound === "number" && !Number.isNaN(bound))
    return (value) => (typeof value === "number" && !Number.isNaN(value) ? simple(value, bound) : undefined);
  // A bound without UTF-16 units at or above U+D800 orders strings as their UTF-8 bytes do (see sort-order).
  if (typeof bound === "string" && !hasHighUnits(bound))
    return (value) => (typeof value === "string" ? simple(value, bound) : undefined);
  if (bound instanceof Date) {
    const time = bound.getTime();
    return (value) => (value instanceof Date ? simple(value.getTime(), time) : undefined);
  }
  return undefined;
}

/**
 * `{ $gt/$gte/$lt/$lte: number | string | date, ... }`: values of the bound's type compare, and a
 * missing, null, boolean or differently typed scalar never matches (type bracketing). Arrays and
 * other values are left to the engine.
 */
function rangeTest(condition: Doc): Test | undefined {
  const parts: Array<[(order: number) => boolean, (value: unknown) => number | undefined]> = [];
  for (const [operator, bound] of Object.entries(condition)) {
    const passes = Object.hasOwn(RANGES, operator) ? RANGES[operator] : undefined;
    const order = orderAgainst(bound);
    if (!passes || !order) return undefined;
    parts.push([passes, order]);
  }
  if (parts.length === 0) return undefined;
  return (value) => {
    let all = true;
    for (const [passes, order] of parts) {
      const found = order(value);
      if (found === undefined) {
        const scalar =
          value === undefined ||
          value === null ||
          (typeof value !== "object" && !Number.isNaN(value)) ||
          value instanceof Date;
        if (!scalar) return undefined;
        all = false;
      } else if (!passes(found)) all = false;
    }
    return all;
  };
}

/** `{ $exists: true | false }` of a top-level field: whether the document has it, whatever its value (null too). */
function existsTest(condition: Doc): Test | undefined {
  const wanted = condition.$exists;
  if (Object.keys(condition).length !== 1 || typeof wanted !== "boolean") return undefined;
  return (value) => (value !== undefined) === wanted;
}

function conditionTest(condition: unknown): Test | undefined {
  if (!isPlainObject(condition)) return scalarTest(toView(condition));
  if ("$exists" in condition) return existsTest(condition);
  if ("$in" in condition) return stringsTest(condition, "$in");
  if ("$nin" in condition) return stringsTest(condition, "$nin");
  if ("$regex" in condition) return regexTest(condition);
  return rangeTest(toView(condition) as Doc);
}

/** A filter's test over a document's view, undefined where only the query engine can tell. */
type DocTest = (view: Doc) => boolean | undefined;

/**
 * Tests joined so that the first to give `decisive` decides (false for all of them, true for any);
 * when none does, undefined if one could not tell, else the other answer.
 */
const joined =
  (decisive: boolean) =>
  (tests: DocTest[]): DocTest =>
  (view) => {
    let unknown = false;
    for (const test of tests) {
      const passed = test(view);
      if (passed === decisive) return decisive;
      if (passed === undefined) unknown = true;
    }
    return unknown ? undefined : !decisive;
  };
const allOf = joined(false);
const anyOf = joined(true);

/** The test of a filter on top-level fields, under `$and`s and `$or`s; undefined when a part is not simple. */
function filterTest(filter: Doc): DocTest | undefined {
  const parts: DocTest[] = [];
  for (const [field, condition] of Object.entries(filter)) {
    if (field === "$and" || field === "$or") {
      if (!Array.isArray(condition) || condition.length === 0 || !condition.every(isPlainObject)) return undefined;
      const branches = condition.map(filterTest);
      if (!branches.every((branch) => branch !== undefined)) return undefined;
      parts.push(field === "$and" ? allOf(branches) : anyOf(branches));
      continue;
    }
    if (field === "" || field.startsWith("$") || field.includes(".")) return undefined;
    const test = conditionTest(condition);
    if (test === undefined) return undefined;
    parts.push((view) => test(view[field]));
  }
  if (parts.length === 0) return undefined;
  return parts.length === 1 ? parts[0] : allOf(parts);
}

/**
 * A predicate for the filters most commands send without compiling a query: conditions on
 * top-level fields (under `$and`s and `$or`s too), each equality to a scalar, `$in` or `$nin` of
 * strings, `$regex`, a range, or `$exists` as a boolean, without a collation. A document whose value a test cannot judge (a type
 * the shortcut does not know) goes to `general`, the query engine's matcher for the whole filter.
 * Undefined for any other filter.
 */
export function simpleMatcher(
  filter: Doc,
  collation: unknown,
  general: () => (record: StoredDoc) => boolean,
): ((record: StoredDoc) => boolean) | undefined {
  if (sortCollation(collation) !== undefined) return undefined;
  const test = filterTest(filter);
  if (test === undefined) return undefined;
  return (record) => test(record.view) ?? general()(record);
}
