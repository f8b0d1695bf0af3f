import { EJSON } from "bson";

/**
 * The unified test format's "Evaluating Matches": expected values may hold `$$` operators, root-level
 * documents may carry extra fields, nested ones may not, and numbers of any BSON type compare by value.
 * `mismatch` returns where and how the actual value differs, or undefined when it matches.
 */
export type Entities = ReadonlyMap<string, unknown>;

const isDocument = (value: unknown): value is Record<string, unknown> =>
  value !== null &&
  typeof value === "object" &&
  !Array.isArray(value) &&
  !("_bsontype" in value) &&
  !(value instanceof Date) &&
  !(value instanceof RegExp);

const bsonType = (value: unknown): string | undefined =>
  value !== null && typeof value === "object" && "_bsontype" in value
    ? String((value as { _bsontype: unknown })._bsontype)
    : undefined;

const NUMERIC = new Set(["Int32", "Double", "Long", "Decimal128"]);

function asNumber(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  const type = bsonType(value);
  if (type === "Long" || type === "Int32" || type === "Double")
    return Number((value as { valueOf(): unknown }).valueOf?.() ?? value);
  if (type === "Decimal128") return Number(String(value));
  return undefined;
}

// Alias names of $$type, as the driver hands values back (int and long both arrive as numbers).
const TYPE_TESTS: Record<string, (value: unknown) => boolean> = {
  double: (v) => typeof v === "number" || bsonType(v) === "Double",
  int: (v) => (typeof v === "number" && Number.isInteger(v)) || bsonType(v) === "Int32",
  long: (v) => (typeof v === "number" && Number.isInteger(v)) || bsonType(v) === "Long",
  decimal: (v) => bsonType(v) === "Decimal128",
  number: (v) => typeof v === "number" || NUMERIC.has(bsonType(v) ?? ""),
  string: (v) => typeof v === "string",
  object: isDocument,
  array: Array.isArray,
  binData: (v) => bsonType(v) === "Binary",
  objectId: (v) => bsonType(v) === "ObjectId",
  bool: (v) => typeof v === "boolean",
  date: (v) => v instanceof Date,
  null: (v) => v === null,
  regex: (v) => v instanceof RegExp || bsonType(v) === "BSONRegExp",
  timestamp: (v) => bsonType(v) === "Timestamp",
  minKey: (v) => bsonType(v) === "MinKey",
  maxKey: (v) => bsonType(v) === "MaxKey",
};

export function show(value: unknown): string {
  if (value === undefined) return "(missing)";
  try {
    return EJSON.stringify(value as never, { relaxed: true });
  } catch {
    return String(value);
  }
}

function operatorOf(expected: unknown): [string, unknown] | undefined {
  if (!isDocument(expected)) return undefined;
  const keys = Object.keys(expected);
  return keys.length === 1 && keys[0]!.startsWith("$$") ? [keys[0]!, expected[keys[0]!]] : undefined;
}

/** Where `actual` differs from `expected` (a path and the two values), or undefined when it matches. */
export function mismatch(
  expected: unknown,
  actual: unknown,
  entities: Entities,
  root = true,
  path = "result",
): string | undefined {
  const operator = operatorOf(expected);
  if (operator) return matchOperator(operator, actual, entities, root, path);
  const differ = () => `${path}: expected ${show(expected)}, got ${show(actual)}`;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return differ();
    for (let i = 0; i < expected.length; i++) {
      // Items of a cursor's results are root-level documents, as each would be alone.
      const found = mismatch(expected[i], actual[i], entities, root, `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (isDocument(expected)) {
    if (!isDocument(actual)) return differ();
    for (const [key, value] of Object.entries(expected)) {
      const inner = operatorOf(value);
      if (inner?.[0] === "$$exists") {
        if ((key in actual && actual[key] !== undefined) !== inner[1])
          return `${path}.${key}: expected ${inner[1] ? "present" : "absent"}`;
        continue;
      }
      if (!(key in actual) || actual[key] === undefined) {
        if (inner?.[0] === "$$unsetOrMatches") continue;
        return `${path}.${key}: expected ${show(value)}, got (missing)`;
      }
      const found = mismatch(value, actual[key], entities, false, `${path}.${key}`);
      if (found) return found;
    }
    if (!root) {
      const extra = Object.keys(actual).filter((key) => !(key in expected) && actual[key] !== undefined);
      if (extra.length) return `${path}: unexpected fields ${extra.join(", ")}`;
    }
    return undefined;
  }
  const expectedNumber = asNumber(expected);
  if (expectedNumber !== undefined) {
    const actualNumber = asNumber(actual);
    if (bsonType(expected) === "Decimal128" || bsonType(actual) === "Decimal128") {
      return bsonType(actual) === bsonType(expected) && String(actual) === String(expected) ? undefined : differ();
    }
    return actualNumber !== undefined &&
      (actualNumber === expectedNumber || (Number.isNaN(actualNumber) && Number.isNaN(expectedNumber)))
      ? undefined
      : differ();
  }
  if (expected instanceof Date)
    return actual instanceof Date && actual.getTime() === expected.getTime() ? undefined : differ();
  if (typeof expected !== "object" || expected === null) return Object.is(expected, actual) ? undefined : differ();
  if (NUMERIC.has(bsonType(actual) ?? "")) return differ();
  return show(expected) === show(actual) ? undefined : differ();
}

function matchOperator(
  [name, argument]: [string, unknown],
  actual: unknown,
  entities: Entities,
  root: boolean,
  path: string,
): string | undefined {
  switch (name) {
    case "$$unsetOrMatches":
      return actual === undefined ? undefined : mismatch(argument, actual, entities, root, path);
    case "$$exists":
      return (actual !== undefined) === argument ? undefined : `${path}: expected ${argument ? "present" : "absent"}`;
    case "$$type": {
      const names = Array.isArray(argument) ? (argument as string[]) : [argument as string];
      return names.some((type) => TYPE_TESTS[type]?.(actual))
        ? undefined
        : `${path}: expected type ${names.join("|")}, got ${show(actual)}`;
    }
    case "$$matchesEntity":
      return mismatch(entities.get(argument as string), actual, entities, false, path);
    case "$$lte": {
      const limit = asNumber(argument);
      const value = asNumber(actual);
      return value !== undefined && limit !== undefined && value <= limit
        ? undefined
        : `${path}: expected ≤ ${show(argument)}, got ${show(actual)}`;
    }
    case "$$matchAsRoot":
      return mismatch(argument, actual, entities, true, path);
    case "$$matchAsDocument":
      return typeof actual === "string"
        ? mismatch(argument, EJSON.parse(actual), entities, false, path)
        : `${path}: expected a JSON string`;
    default:
      throw new Error(`the runner does not implement the ${name} operator`);
  }
}
