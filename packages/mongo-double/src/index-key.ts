import { bsonTypeName, bsonTypeOf, isNumeric, isPlainObject, toNumber, type Doc } from "./bson-values.js";
import { CommandError } from "./errors.js";
import type { Fold } from "./collation.js";

const EMPTY_ARRAY_KEY = "U";

/**
 * A string that is equal for two values exactly when MongoDB's index considers them equal:
 * numbers of every BSON type by value, strings through the index's collation.
 */
export function canonicalKey(value: unknown, fold?: Fold): string {
  if (value === undefined || value === null) return "N";
  if (typeof value === "string") return `s${fold ? fold(value) : value}`;
  if (typeof value === "boolean") return value ? "b1" : "b0";
  if (isNumeric(value)) {
    if (bsonTypeName(value) === "Long") {
      const long = value as { toString(): string; toNumber(): number };
      return Number.isSafeInteger(long.toNumber()) ? `n${long.toNumber()}` : `n${long.toString()}`;
    }
    const n = toNumber(value);
    return `n${Object.is(n, -0) ? 0 : n}`;
  }
  if (value instanceof Date) return `d${value.getTime()}`;
  if (Array.isArray(value)) return `a[${value.map((item) => canonicalKey(item, fold)).join(",")}]`;
  if (isPlainObject(value)) {
    return `{${Object.keys(value)
      .map((k) => `${JSON.stringify(k)}:${canonicalKey(value[k], fold)}`)
      .join(",")}}`;
  }
  if (value instanceof RegExp) return `r/${value.source}/${value.flags}`;
  return `${bsonTypeOf(value)}:${String(value)}`;
}

/** What one indexed field contributes: one entry per array element (an empty array is one key). */
function fieldValues(doc: unknown, parts: string[]): unknown[] {
  if (parts.length === 0) {
    if (Array.isArray(doc)) return doc.length === 0 ? [EMPTY_ARRAY_KEY] : doc;
    return [doc];
  }
  const [head, ...rest] = parts as [string, ...string[]];
  if (Array.isArray(doc)) {
    if (/^\d+$/.test(head)) return fieldValues(doc[Number(head)], rest);
    const found = doc.flatMap((item) => (isPlainObject(item) ? fieldValues(item, parts) : []));
    return found.length ? found : [undefined];
  }
  return isPlainObject(doc) ? fieldValues(doc[head], rest) : [undefined];
}

/** One combination of field values of a compound key, with its canonical string. */
export interface IndexEntry {
  key: string;
  values: unknown[];
}

/** Where a path first meets an array: the number of path components before it, or undefined. */
function arrayDepth(doc: unknown, path: string[]): number | undefined {
  let node = doc;
  for (let i = 0; i <= path.length; i++) {
    if (Array.isArray(node)) {
      const part = path[i];
      if (part === undefined || !/^\d+$/.test(part)) return i;
      node = node[Number(part)];
      continue;
    }
    if (i === path.length || !isPlainObject(node)) return undefined;
    node = node[path[i]!];
  }
  return undefined;
}

function valueAt(doc: unknown, path: string[]): unknown {
  let node = doc;
  for (const part of path) {
    if (Array.isArray(node) && /^\d+$/.test(part)) node = node[Number(part)];
    else if (isPlainObject(node)) node = node[part];
    else return undefined;
  }
  return node;
}

/**
 * The value tuples a document contributes to a compound index. Fields that go
 * through the same array take their values from the same element, as mongod's
 * key generator does (`{"a.x": 1, "a.y": 1}` pairs each element's x with its y);
 * arrays at different paths are "parallel arrays", which mongod refuses.
 */
function keyTuples(doc: unknown, paths: string[][]): unknown[][] {
  const depths = paths.map((path) => arrayDepth(doc, path));
  const first = depths.findIndex((depth) => depth !== undefined);
  if (first < 0) return [paths.map((path) => valueAt(doc, path))];
  const depth = depths[first]!;
  const prefix = paths[first]!.slice(0, depth);
  const sharing = paths.map(
    (path, i) => depths[i] !== undefined && depths[i] === depth && path.slice(0, depth).join(".") === prefix.join("."),
  );
  const other = paths.findIndex((_path, i) => depths[i] !== undefined && !sharing[i]);
  if (other >= 0)
    throw new CommandError(
      171,
      `cannot index parallel arrays [${paths[other]!.join(".")}] [${paths[first]!.join(".")}]`,
    );
  const array = valueAt(doc, prefix) as unknown[];
  const fixed = paths.map((path) => valueAt(doc, path));
  if (array.length === 0)
    return [paths.map((path, i) => (!sharing[i] ? fixed[i] : path.length === depth ? EMPTY_ARRAY_KEY : undefined))];
  return array.flatMap((element) => {
    // Inside one element the remaining paths may meet further (nested) arrays.
    const inner = paths.map((path, i) => (sharing[i] && path.length > depth ? path.slice(depth) : []));
    const nested = keyTuples(
      element,
      inner.filter((rest) => rest.length > 0),
    );
    return nested.map((values) => {
      let next = 0;
      return paths.map((_path, i) => (!sharing[i] ? fixed[i] : inner[i]!.length === 0 ? element : values[next++]));
    });
  });
}

/** Marks a path that meets an array, which the general key generation handles. */
const MEETS_ARRAY = Symbol("meets an array");

function scalarAt(doc: unknown, parts: readonly string[]): unknown {
  let node = doc;
  for (const part of parts) {
    if (Array.isArray(node)) return MEETS_ARRAY;
    if (!isPlainObject(node)) return undefined;
    node = node[part];
  }
  return Array.isArray(node) ? MEETS_ARRAY : node;
}

/** All keys a document contributes to an index. */
export function indexEntries(doc: Doc, paths: string[], fold?: Fold): IndexEntry[] {
  if (paths.length === 1 && !paths[0]!.includes(".")) {
    // The common case: one top-level scalar field.
    const value = doc[paths[0]!];
    if (!Array.isArray(value)) return [{ key: canonicalKey(value, fold), values: [value] }];
  }
  const split = paths.map((path) => path.split("."));
  // No array on the paths (most documents): one tuple, nothing to pair up or de-duplicate.
  const scalars = split.map((parts) => scalarAt(doc, parts));
  if (!scalars.includes(MEETS_ARRAY)) {
    return [{ key: scalars.map((value) => canonicalKey(value, fold)).join("\u0000"), values: scalars }];
  }
  const seen = new Map<string, IndexEntry>();
  for (const values of keyTuples(doc, split)) {
    const key = values
      .map((value) => (value === EMPTY_ARRAY_KEY ? EMPTY_ARRAY_KEY : canonicalKey(value, fold)))
      .join("\u0000");
    if (!seen.has(key))
      seen.set(key, { key, values: values.map((value) => (value === EMPTY_ARRAY_KEY ? undefined : value)) });
  }
  return [...seen.values()];
}

/** True when a path meets an array in the document (which makes an index on it multikey). */
export const meetsArray = (doc: unknown, parts: readonly string[]): boolean => scalarAt(doc, parts) === MEETS_ARRAY;

/**
 * The value tuples of `indexEntries`, without their canonical strings, for
 * `paths` split at their dots: a document that puts no array on the paths
 * (most) contributes one tuple, which needs no de-duplication.
 */
export function indexValues(doc: Doc, paths: readonly (readonly string[])[], fold?: Fold): unknown[][] {
  const values: unknown[] = [];
  for (const parts of paths) {
    const value = scalarAt(doc, parts);
    if (value === MEETS_ARRAY) {
      return indexEntries(
        doc,
        paths.map((path) => path.join(".")),
        fold,
      ).map((entry) => entry.values);
    }
    values.push(value);
  }
  return [values];
}

/** True when every indexed field of the document is missing (what `sparse` leaves out). */
export function allFieldsMissing(doc: Doc, paths: string[]): boolean {
  return paths.every((path) => fieldValues(doc, path.split(".")).every((value) => value === undefined));
}
