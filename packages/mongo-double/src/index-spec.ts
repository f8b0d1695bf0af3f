import { isNumeric, isPlainObject, toNumber, type Doc } from "./bson-values.js";
import { CommandError, badValue } from "./errors.js";
import { canonicalKey } from "./index-key.js";

/** An index as listIndexes shows it. */
export interface IndexSpec extends Doc {
  v: number;
  key: Doc;
  name: string;
}

const ALLOWED_OPTIONS = new Set([
  "v",
  "key",
  "name",
  "unique",
  "sparse",
  "partialFilterExpression",
  "expireAfterSeconds",
  "collation",
  "background",
  "hidden",
  "ns",
]);
// Options that make two indexes on the same key different indexes rather than a conflict.
const IDENTITY_OPTIONS = ["collation", "partialFilterExpression"];
const OTHER_OPTIONS = ["unique", "sparse", "expireAfterSeconds", "hidden"];

const COLLATION_DEFAULTS = {
  caseLevel: false,
  caseFirst: "off",
  strength: 3,
  numericOrdering: false,
  alternate: "non-ignorable",
  maxVariable: "punct",
  normalization: false,
  backwards: false,
  version: "57.1",
};

export const ID_INDEX: IndexSpec = { v: 2, key: { _id: 1 }, name: "_id_" };

/** Validates a createIndexes entry and returns it in the shape listIndexes reports. */
export function normalizeIndexSpec(raw: unknown): IndexSpec {
  if (!isPlainObject(raw)) throw new CommandError(14, "Index specification must be an object");
  const key = raw.key;
  if (!isPlainObject(key) || Object.keys(key).length === 0) throw new CommandError(67, "Index keys cannot be empty.");
  const normalizedKey: Doc = {};
  for (const [field, direction] of Object.entries(key)) {
    if (isNumeric(direction) && toNumber(direction) !== 0) normalizedKey[field] = toNumber(direction);
    else if (direction === "hashed") normalizedKey[field] = direction;
    else
      throw new CommandError(
        67,
        `Values in the index key pattern can only be non-zero numbers or 'hashed' here; found ${field}: ${String(direction)}`,
      );
  }
  if (typeof raw.name !== "string" || raw.name === "") {
    throw new CommandError(
      9,
      "Error in specification: The 'name' field is a required property of an index specification",
    );
  }
  for (const option of Object.keys(raw)) {
    if (!ALLOWED_OPTIONS.has(option)) {
      throw new CommandError(
        197,
        `Error in specification ${raw.name} :: caused by :: The field '${option}' is not valid for an index specification.`,
      );
    }
  }
  if (raw.sparse === true && raw.partialFilterExpression !== undefined) {
    throw new CommandError(67, 'cannot mix "partialFilterExpression" and "sparse" options');
  }
  if (raw.partialFilterExpression !== undefined && !isPlainObject(raw.partialFilterExpression)) {
    throw badValue('"partialFilterExpression" for an index must be a document');
  }
  const spec: IndexSpec = { v: 2, key: normalizedKey, name: raw.name };
  if (raw.unique === true) spec.unique = true;
  if (raw.sparse === true) spec.sparse = true;
  if (raw.hidden === true) spec.hidden = true;
  if (raw.partialFilterExpression !== undefined) spec.partialFilterExpression = raw.partialFilterExpression;
  if (raw.expireAfterSeconds !== undefined) {
    if (!isNumeric(raw.expireAfterSeconds))
      throw new CommandError(14, "TTL index 'expireAfterSeconds' option must be numeric");
    if (Object.keys(normalizedKey).length !== 1)
      throw new CommandError(67, "TTL indexes are single-field indexes, compound indexes do not support TTL");
    spec.expireAfterSeconds = toNumber(raw.expireAfterSeconds);
  }
  if (isPlainObject(raw.collation) && raw.collation.locale !== "simple") {
    spec.collation = { locale: raw.collation.locale, ...COLLATION_DEFAULTS, ...raw.collation };
  }
  return spec;
}

/** Whether two key patterns name the same fields in the same order with equal values (numbers of any type by value). */
export const sameKeyPattern = (a: Doc, b: Doc): boolean =>
  canonicalKey(a) === canonicalKey(b) && Object.keys(a).join() === Object.keys(b).join();
const sameKey = (a: IndexSpec, b: IndexSpec): boolean => sameKeyPattern(a.key, b.key);
const BOOLEAN_OPTIONS = new Set(["unique", "sparse", "hidden"]);
const optionKey = (spec: IndexSpec, option: string): string =>
  canonicalKey(spec[option] ?? (BOOLEAN_OPTIONS.has(option) ? false : undefined));
const sameOptions = (a: IndexSpec, b: IndexSpec, options: string[]): boolean =>
  options.every((option) => optionKey(a, option) === optionKey(b, option));

/**
 * Decides whether a requested index already exists (returns true), is new (false), or conflicts
 * with an existing one (throws mongod's 85 IndexOptionsConflict or 86 IndexKeySpecsConflict).
 */
export function indexAlreadyExists(existing: IndexSpec[], requested: IndexSpec): boolean {
  const byName = existing.find((index) => index.name === requested.name);
  if (byName) {
    if (!sameKey(byName, requested) || !sameOptions(byName, requested, IDENTITY_OPTIONS)) {
      throw new CommandError(
        86,
        `An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: ${JSON.stringify(requested)}, existing index: ${JSON.stringify(byName)}`,
      );
    }
    if (!sameOptions(byName, requested, OTHER_OPTIONS)) {
      throw new CommandError(
        85,
        `An equivalent index already exists with the same name but different options. Requested index: ${JSON.stringify(requested)}, existing index: ${JSON.stringify(byName)}`,
      );
    }
    return true;
  }
  const byKey = existing.find((index) => sameKey(index, requested) && sameOptions(index, requested, IDENTITY_OPTIONS));
  if (byKey) {
    throw new CommandError(85, `Index already exists with a different name: ${byKey.name}`);
  }
  return false;
}

/**
 * The top-level fields whose values decide an index's entries for a document: the first part of each
 * key path, and every field its partial filter names (under `$and`, `$or` and `$nor` too). A document
 * whose updated version holds the very same values in these fields keeps its entries.
 */
export function fieldsIndexed(spec: IndexSpec): string[] {
  const fields = new Set(Object.keys(spec.key).map((path) => path.split(".")[0]!));
  const visit = (filter: unknown): void => {
    if (!isPlainObject(filter)) return;
    for (const [key, value] of Object.entries(filter)) {
      if (key === "$and" || key === "$or" || key === "$nor") {
        if (Array.isArray(value)) value.forEach(visit);
      } else fields.add(key.split(".")[0]!);
    }
  };
  visit(spec.partialFilterExpression);
  return [...fields];
}
