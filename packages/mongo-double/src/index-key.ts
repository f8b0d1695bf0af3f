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
    return `{${Object.keys(value).map((k) => `${JSON.stringify(k)}:${canonicalKey(value[k], fold)}`).join(",")}}`;
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

/**
 * All keys a document contributes to an index. A compound index may hold at most one array
 * field per document, as in MongoDB.
 */
export function indexEntries(doc: Doc, paths: string[], fold?: Fold): IndexEntry[] {
  if (paths.length === 1 && !paths[0]!.includes(".")) {
    // The common case: one top-level scalar field.
    const value = doc[paths[0]!];
    if (!Array.isArray(value)) return [{ key: canonicalKey(value, fold), values: [value] }];
  }
  let combos: unknown[][] = [[]];
  let arrayPath: string | undefined;
  for (const path of paths) {
    const values = fieldValues(doc, path.split("."));
    if (values.length > 1) {
      if (arrayPath !== undefined) throw new CommandError(171, `cannot index parallel arrays [${path}] [${arrayPath}]`);
      arrayPath = path;
    }
    combos = combos.flatMap((combo) => values.map((value) => [...combo, value]));
  }
  const seen = new Map<string, IndexEntry>();
  for (const values of combos) {
    const key = values.map((value) => (value === EMPTY_ARRAY_KEY ? EMPTY_ARRAY_KEY : canonicalKey(value, fold))).join("\u0000");
    if (!seen.has(key)) seen.set(key, { key, values: values.map((value) => (value === EMPTY_ARRAY_KEY ? undefined : value)) });
  }
  return [...seen.values()];
}

/** True when every indexed field of the document is missing (what `sparse` leaves out). */
export function allFieldsMissing(doc: Doc, paths: string[]): boolean {
  return paths.every((path) => fieldValues(doc, path.split(".")).every((value) => value === undefined));
}
