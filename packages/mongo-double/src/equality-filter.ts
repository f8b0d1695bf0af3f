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

/**
 * A predicate for the filters most commands send, `{ field: scalar, ... }` on top-level fields
 * without a collation, that skips compiling a query: equal to the scalar, or an array holding it,
 * as MongoDB's equality reads an array field. Undefined for any other filter.
 */
export function equalityMatcher(filter: Doc, collation: unknown): ((record: StoredDoc) => boolean) | undefined {
  if (sortCollation(collation) !== undefined) return undefined;
  const tests: Array<[string, Test]> = [];
  for (const [field, value] of Object.entries(filter)) {
    if (field === "" || field.startsWith("$") || field.includes(".") || isPlainObject(value)) return undefined;
    const test = scalarTest(toView(value));
    if (test === undefined) return undefined;
    tests.push([field, test]);
  }
  return (record) =>
    tests.every(([field, test]) => {
      const value = record.view[field];
      return test(value) || (Array.isArray(value) && value.some(test));
    });
}
