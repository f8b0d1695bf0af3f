import { badValue } from "./errors.js";
import { isPlainObject, setField } from "./bson-values.js";

/** A collation as given in a command or an index spec. */
export interface Collation {
  locale: string;
  strength?: number;
  [option: string]: unknown;
}

export type Fold = (s: string) => string;

/**
 * How a collation makes strings equal: strength 1 ignores case and diacritics, strength 2
 * ignores case only; stronger (or `simple`) collations compare code points, so nothing folds.
 */
export function foldFor(collation: unknown): Fold | undefined {
  if (!isPlainObject(collation)) return undefined;
  if (typeof collation.locale !== "string") throw badValue('Missing expected field "locale"');
  if (collation.locale === "simple") return undefined;
  const strength = typeof collation.strength === "number" ? collation.strength : 3;
  if (strength === 1) return (s) => s.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
  if (strength === 2) return (s) => s.toLowerCase();
  return undefined;
}

/** The collation the query library should sort with, or none for the binary order. */
export function sortCollation(collation: unknown): Collation | undefined {
  if (!isPlainObject(collation) || collation.locale === "simple" || typeof collation.locale !== "string")
    return undefined;
  return collation as Collation;
}

/** Applies a fold to every string inside a value (not to field names nor regular expressions). */
export function foldDeep(value: unknown, fold: Fold): unknown {
  if (typeof value === "string") return fold(value);
  if (Array.isArray(value)) return value.map((item) => foldDeep(item, fold));
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) setField(out, key, foldDeep(value[key], fold));
  return out;
}
