import { isPlainObject, toView, type Doc } from "./bson-values.js";
import { sortCollation } from "./collation.js";
import type { StoredDoc } from "./stored-doc.js";

type Test = (value: unknown) => boolean;

/** A test for one scalar, or undefined for values whose equality has more rules than `===` (null, numbers' types, documents, regexes). */
function scalarTest(wanted: unknown): Test | undefined {
  if (
    typeof wanted === "string" ||
    typeof wanted === "boolean" ||
    (typeof wanted === "number" && Number.isFinite(wanted))
  ) {
    return (value) => value === wanted;
  }
  if (wanted instanceof Date) {
    const time = wanted.getTime();
    return (value) => value instanceof Date && value.getTime() === time;
  }
  return undefined;
}

/** A test for `{ $in: [strings] }`, the shape of batched lookups by id; undefined for any other condition. */
function stringsTest(condition: Doc): Test | undefined {
  const wanted = condition.$in;
  if (
    Object.keys(condition).length !== 1 ||
    !Array.isArray(wanted) ||
    !wanted.every((item) => typeof item === "string")
  )
    return undefined;
  const strings = new Set<unknown>(wanted);
  return (value) => typeof value === "string" && strings.has(value);
}

/**
 * A predicate for the filters most commands send, `{ field: scalar, ... }` (or `{ $in: [strings] }`)
 * on top-level fields without a collation, that skips compiling a query: equal to the scalar (one
 * of the strings), or an array holding it, as MongoDB's equality reads an array field. Undefined
 * for any other filter.
 */
export function equalityMatcher(filter: Doc, collation: unknown): ((record: StoredDoc) => boolean) | undefined {
  if (sortCollation(collation) !== undefined) return undefined;
  const tests: Array<[string, Test]> = [];
  for (const [field, value] of Object.entries(filter)) {
    if (field === "" || field.startsWith("$") || field.includes(".")) return undefined;
    const test = isPlainObject(value) ? stringsTest(value) : scalarTest(toView(value));
    if (test === undefined) return undefined;
    tests.push([field, test]);
  }
  return (record) =>
    tests.every(([field, test]) => {
      const value = record.view[field];
      return test(value) || (Array.isArray(value) && value.some(test));
    });
}
