import { serialize } from "bson";
import { update as mingoUpdate } from "mingo/updater";
import {
  bsonTypeOf,
  clonePlain,
  formatValue,
  getPath,
  isNumeric,
  isPlainObject,
  numberOfType,
  ownField,
  setField,
  toNumber,
  toView,
  type Doc,
} from "./bson-values.js";
import { CommandError, toCommandError } from "./errors.js";
import { canonicalKey } from "./index-key.js";
import { compileFilter, queryOptions, runPipeline } from "./query-engine.js";
import { setPlainFields } from "./set-fields.js";
import { checkModifier, checkOperandTypes } from "./update-checks.js";

export interface UpdateContext {
  /** The query filter (stored form), for the positional `$` operator. */
  filter: Doc;
  arrayFilters?: Doc[];
  collation?: unknown;
  /** True when the update builds an upserted document, so `$setOnInsert` applies. */
  inserting: boolean;
}

const NUMERIC_WIDTH = ["int", "long", "double", "decimal"];

/** The BSON type mongod gives the result of arithmetic on two numbers: the wider one. */
const widerType = (a: string, b: string): string =>
  NUMERIC_WIDTH[Math.max(NUMERIC_WIDTH.indexOf(a), NUMERIC_WIDTH.indexOf(b))]!;

/** Writes a value at a dotted path of plain objects (used only for non-positional paths). */
function setPath(doc: Doc, path: string, value: unknown): void {
  const parts = path.split(".");
  let current: Record<string, unknown> | unknown[] = doc;
  for (const part of parts.slice(0, -1)) {
    const next: unknown = Array.isArray(current) ? current[Number(part)] : ownField(current, part);
    if (!isPlainObject(next) && !Array.isArray(next)) return;
    current = next;
  }
  const last = parts[parts.length - 1]!;
  if (Array.isArray(current)) current[Number(last)] = value;
  else setField(current, last, value);
}

/**
 * Numbers came back from the query library as plain numbers; give each the type mongod would
 * store: unchanged values keep their old type, arithmetic results the wider operand type.
 */
function restoreTypes(result: unknown, old: unknown): unknown {
  if (typeof result === "number") {
    if (old !== undefined && isNumeric(old) && toNumber(old) === result) return old;
    return result;
  }
  if (Array.isArray(result))
    return result.map((item, i) => restoreTypes(item, Array.isArray(old) ? old[i] : undefined));
  if (isPlainObject(result)) {
    const out: Doc = {};
    for (const key of Object.keys(result))
      setField(out, key, restoreTypes(result[key], isPlainObject(old) ? ownField(old, key) : undefined));
    return out;
  }
  return result;
}

/** mongod adds each distinct `$each` value of `$addToSet` once; the query library, creating the array, adds them all. */
function addEachOnce(modifier: Doc): void {
  const fields = modifier.$addToSet;
  if (!isPlainObject(fields)) return;
  for (const [path, value] of Object.entries(fields)) {
    if (!isPlainObject(value) || !Array.isArray(value.$each)) continue;
    const seen = new Set<string>();
    const each = value.$each.filter((item) => {
      const key = canonicalKey(toView(item));
      return seen.has(key) ? false : (seen.add(key), true);
    });
    fields[path] = { ...value, $each: each };
  }
}

function applyOperators(doc: Doc, update: Doc, context: UpdateContext): Doc {
  checkModifier(update);
  checkOperandTypes(doc, update);
  const { $setOnInsert, ...operators } = update;
  const modifier: Doc = Object.fromEntries(
    Object.entries(operators).map(([operator, fields]) => [operator, { ...(fields as Doc) }]),
  );
  if (context.inserting && isPlainObject($setOnInsert))
    modifier.$set = { ...(modifier.$set as Doc | undefined), ...$setOnInsert };
  guardId(doc, modifier);
  const set = setPlainFields(doc, modifier);
  if (set !== undefined) return set;
  addEachOnce(modifier);
  const view = clonePlain(toView(doc)) as Doc;
  const resolved = resolvePositional(modifier, view, context);
  try {
    mingoUpdate(
      view,
      toView(resolved) as Doc,
      toView(context.arrayFilters ?? []) as Doc[],
      {},
      {
        cloneMode: "copy",
        queryOptions: queryOptions(context.collation),
      },
    );
  } catch (error) {
    throw toCommandError(error);
  }
  const result = restoreTypes(view, doc) as Doc;
  // Values written as given keep their exact BSON types.
  for (const operator of ["$set", "$min", "$max"]) {
    for (const [path, value] of Object.entries((resolved[operator] as Doc | undefined) ?? {})) {
      if (!path.includes("$") && canonicalKey(getPath(toView(result), path)) === canonicalKey(toView(value)))
        setPath(result, path, clonePlain(value));
    }
  }
  for (const operator of ["$inc", "$mul"]) {
    for (const [path, value] of Object.entries((resolved[operator] as Doc | undefined) ?? {})) {
      if (path.includes("$")) continue;
      const before = getPath(doc, path);
      const type = widerType(before === undefined ? "int" : bsonTypeOf(before), bsonTypeOf(value));
      setPath(result, path, numberOfType(toNumber(getPath(result, path)), type));
    }
  }
  return result;
}

/** Whether a filter tests the array at `path` (only then can `$` find a match, as in mongod). */
function mentions(filter: Doc, path: string): boolean {
  return Object.entries(filter).some(([key, value]) =>
    key === "$and" || key === "$or" || key === "$nor"
      ? Array.isArray(value) && value.some((clause) => isPlainObject(clause) && mentions(clause, path))
      : key === path || key.startsWith(`${path}.`),
  );
}

/** A copy of `doc` whose array at `path` holds only `element`. */
function withOnlyElement(doc: Doc, path: string[], element: unknown): Doc {
  const [head, ...rest] = path as [string, ...string[]];
  const copy: Doc = { ...doc };
  copy[head] = rest.length === 0 ? [element] : withOnlyElement((doc[head] ?? {}) as Doc, rest, element);
  return copy;
}

/**
 * Replaces each positional `$` with the index of the first element of its array
 * that the query matched, as mongod does. Every `arr.$.x` path of one update
 * then addresses the same element (mingo would report them as conflicting).
 */
function resolvePositional(modifier: Doc, view: Doc, context: UpdateContext): Doc {
  const matches = compileFilter(context.filter, context.collation);
  const indexes = new Map<string, number>();
  const indexOf = (arrayPath: string[]): number => {
    const key = arrayPath.join(".");
    let index = indexes.get(key);
    if (index === undefined) {
      const array = getPath(view, key);
      index =
        Array.isArray(array) && mentions(context.filter, key)
          ? array.findIndex((element) => {
              const candidate = withOnlyElement(view, arrayPath, element);
              return matches({ doc: candidate, view: candidate });
            })
          : -1;
      if (index < 0) throw new CommandError(2, "The positional operator did not find the match needed from the query.");
      indexes.set(key, index);
    }
    return index;
  };
  const resolvePath = (path: string): string => {
    const parts = path.split(".");
    const at = parts.indexOf("$");
    if (at <= 0) return path;
    parts[at] = String(indexOf(parts.slice(0, at)));
    return parts.join(".");
  };
  return Object.fromEntries(
    Object.entries(modifier).map(([operator, fields]) => [
      operator,
      Object.fromEntries(Object.entries(fields as Doc).map(([path, value]) => [resolvePath(path), value])),
    ]),
  );
}

/** `_id` may be set to its current value only; any other change is mongod's ImmutableField. */
function guardId(doc: Doc, modifier: Doc): void {
  for (const [operator, fields] of Object.entries(modifier)) {
    for (const path of Object.keys(fields as Doc)) {
      if (path !== "_id" && !path.startsWith("_id.")) continue;
      const value = (fields as Doc)[path];
      if (doc._id === undefined && operator === "$set") continue;
      if (operator === "$set" && path === "_id" && sameId(doc._id, value)) {
        delete (modifier[operator] as Doc)[path];
        continue;
      }
      throw new CommandError(66, "Performing an update on the path '_id' would modify the immutable field '_id'");
    }
  }
}

function applyPipeline(doc: Doc, pipeline: Doc[], context: UpdateContext): Doc {
  const [out] = runPipeline(toView(pipeline) as Doc[], [clonePlain(toView(doc))], queryOptions(context.collation));
  return restoreTypes(out, doc) as Doc;
}

const sameId = (a: unknown, b: unknown): boolean =>
  canonicalKey(a) === canonicalKey(b) && bsonTypeOf(a) === bsonTypeOf(b);

/** Whether an update document replaces the whole document rather than using operators. */
export const isReplacement = (update: unknown): boolean =>
  isPlainObject(update) && Object.keys(update).length > 0 && !Object.keys(update)[0]!.startsWith("$");

/**
 * Whether two stored values would serialize to the same BSON bytes (what mongod compares to tell
 * whether an update modified a document): same field order, same types, same values. Plain
 * numbers carry their BSON type in their value (see bson-values.ts), so `Object.is` is exact;
 * other BSON values are rare enough here to be compared by their bytes.
 */
export function sameStored(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  // BSON writes undefined as null.
  if (a == null && b == null) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => sameStored(item, b[i]));
  if (Array.isArray(b)) return false;
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) return false;
    const keys = Object.keys(a);
    const others = Object.keys(b);
    return keys.length === others.length && keys.every((key, i) => key === others[i] && sameStored(a[key], b[key]));
  }
  if (a instanceof Date) return b instanceof Date && Object.is(a.getTime(), b.getTime());
  return !isPlainObject(b) && Buffer.compare(serialize({ v: a }), serialize({ v: b })) === 0;
}

/** Applies an update (operators, replacement or pipeline) and returns the new stored document. */
export function applyUpdate(doc: Doc, update: unknown, context: UpdateContext): Doc {
  if (Array.isArray(update)) {
    // A pipeline whose result has no _id (a $replaceRoot, say) keeps the document's, as in mongod.
    const after = applyPipeline(doc, update as Doc[], context);
    return finish(doc, after._id === undefined && doc._id !== undefined ? { _id: doc._id, ...after } : after, false);
  }
  if (!isPlainObject(update)) throw new CommandError(9, "Update argument must be either an object or an array");
  if (isReplacement(update)) {
    for (const key of Object.keys(update)) {
      if (key.startsWith("$"))
        throw new CommandError(
          52,
          `The dollar ($) prefixed field '${key}' in '${key}' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith.`,
        );
    }
    return finish(doc, { _id: doc._id, ...clonePlain(update) }, true);
  }
  return finish(doc, applyOperators(doc, update, context), false);
}

function finish(before: Doc, after: Doc, replacement: boolean): Doc {
  if (before._id !== undefined && !sameId(before._id, after._id)) {
    throw new CommandError(
      66,
      replacement
        ? `After applying the update, the (immutable) field '_id' was found to have been altered to _id: ${formatValue(after._id)}`
        : "Performing an update on the path '_id' would modify the immutable field '_id'",
    );
  }
  if (before._id === undefined || Object.keys(after)[0] === "_id" || after._id === undefined) return after;
  const { _id, ...rest } = after;
  return { _id, ...rest };
}

/**
 * The document an upsert starts from: the equality conditions of the filter (top level and
 * inside `$and`), as mongod builds it.
 */
export function upsertSeed(filter: Doc): Doc {
  const seed: Doc = {};
  const visit = (condition: Doc): void => {
    for (const [key, value] of Object.entries(condition)) {
      if (key === "$and" && Array.isArray(value)) value.forEach((part) => isPlainObject(part) && visit(part));
      if (key.startsWith("$")) continue;
      if (isPlainObject(value) && Object.keys(value).some((k) => k.startsWith("$"))) {
        if ("$eq" in value) assignPath(seed, key, clonePlain(value.$eq));
        else if (Array.isArray(value.$in) && value.$in.length === 1) assignPath(seed, key, clonePlain(value.$in[0]));
      } else if (!(value instanceof RegExp)) {
        assignPath(seed, key, clonePlain(value));
      }
    }
  };
  visit(filter);
  return seed;
}

function assignPath(doc: Doc, path: string, value: unknown): void {
  const parts = path.split(".");
  let current = doc;
  for (const part of parts.slice(0, -1)) {
    if (!isPlainObject(ownField(current, part))) setField(current, part, {});
    current = current[part] as Doc;
  }
  setField(current, parts[parts.length - 1]!, value);
}
