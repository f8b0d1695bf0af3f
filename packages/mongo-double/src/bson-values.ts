import { Double, Long } from "bson";

/**
 * Documents are stored in a form the query library understands where it can: int32 and
 * fractional doubles are plain numbers (the serializer writes them back with the same type),
 * while int64, Decimal128 and whole-number doubles keep their BSON wrapper so they round-trip.
 */
export type Doc = Record<string, unknown>;

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

export const bsonTypeName = (value: unknown): string | undefined =>
  value !== null && typeof value === "object" ? (value as { _bsontype?: string })._bsontype : undefined;

export const isPlainObject = (value: unknown): value is Doc =>
  value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype;

/**
 * Sets a field of a document being built. A field named `__proto__` is a field like any other in
 * BSON (mongod keeps it), but assigning it would set the object's prototype instead, dropping the
 * field and making the document inherit its value.
 */
export function setField(target: Doc, key: string, value: unknown): void {
  if (key === "__proto__")
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
}

/** A field the document itself holds: never one inherited from its prototype, as `__proto__` would be. */
export const ownField = (doc: Doc, key: string): unknown => (Object.hasOwn(doc, key) ? doc[key] : undefined);

const isInt32 = (n: number): boolean => Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX && !Object.is(n, -0);

/** True for every BSON number: plain numbers and the int32/int64/double/decimal wrappers. */
export function isNumeric(value: unknown): boolean {
  if (typeof value === "number") return true;
  const type = bsonTypeName(value);
  return type === "Int32" || type === "Long" || type === "Double" || type === "Decimal128";
}

/** The JavaScript number for any BSON number (precision beyond 2^53 is not kept). */
export function toNumber(value: unknown): number {
  if (typeof value === "number") return value;
  switch (bsonTypeName(value)) {
    case "Int32":
    case "Double":
      return (value as { value: number }).value;
    case "Long":
      return (value as Long).toNumber();
    case "Decimal128":
      return Number(String(value));
    default:
      return Number.NaN;
  }
}

/** Converts a value decoded with `promoteValues: false` into the stored form. */
export function fromWire(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromWire);
  if (value === null || typeof value !== "object") return value;
  switch (bsonTypeName(value)) {
    case "Int32":
      return (value as { value: number }).value;
    case "Double": {
      const n = (value as Double).value;
      return isInt32(n) || Object.is(n, -0) ? value : n;
    }
    case undefined:
      break;
    default:
      return value;
  }
  if (!isPlainObject(value)) return value;
  const out: Doc = {};
  for (const key of Object.keys(value)) setField(out, key, fromWire(value[key]));
  return out;
}

/**
 * The value as the query library sees it: every BSON number becomes a plain number so that
 * numbers of different types compare equal, as they do in MongoDB. Unchanged subtrees are shared.
 */
export function toView(value: unknown): unknown {
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((item) => {
      const converted = toView(item);
      if (converted !== item) changed = true;
      return converted;
    });
    return changed ? out : value;
  }
  if (value === null || typeof value !== "object") return value;
  if (isNumeric(value)) return toNumber(value);
  if (!isPlainObject(value)) return value;
  let out: Doc | undefined;
  for (const key of Object.keys(value)) {
    const item = value[key];
    const converted = toView(item);
    if (converted !== item) {
      out ??= { ...value };
      out[key] = converted;
    }
  }
  return out ?? value;
}

/** Copies plain objects and arrays; BSON values and dates are shared. */
export function clonePlain<T>(value: T): T {
  if (Array.isArray(value)) return value.map(clonePlain) as T;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (!isPlainObject(value)) return value;
  const out: Doc = {};
  for (const key of Object.keys(value)) setField(out, key, clonePlain(value[key]));
  return out as T;
}

/** mongod's name for the BSON type of a stored value, as used by `$type` and in error messages. */
export function bsonTypeOf(value: unknown): string {
  if (value === undefined) return "missing";
  if (value === null) return "null";
  if (typeof value === "number") return isInt32(value) ? "int" : "double";
  if (typeof value === "string") return "string";
  if (typeof value === "boolean") return "bool";
  if (Array.isArray(value)) return "array";
  if (value instanceof Date) return "date";
  if (value instanceof RegExp) return "regex";
  switch (bsonTypeName(value)) {
    case "Int32":
      return "int";
    case "Double":
      return "double";
    case "Long":
      return "long";
    case "Decimal128":
      return "decimal";
    case "ObjectId":
      return "objectId";
    case "Binary":
      return "binData";
    case "Timestamp":
      return "timestamp";
    case "BSONRegExp":
      return "regex";
    case "Code":
      return "javascript";
    case "MinKey":
      return "minKey";
    case "MaxKey":
      return "maxKey";
    case "BSONSymbol":
      return "symbol";
    default:
      return "object";
  }
}

/** Restores a number computed on the view to the BSON type mongod would store. */
export function numberOfType(n: number, type: string): unknown {
  if (type === "long" && Number.isInteger(n)) return Long.fromNumber(n);
  if (type === "double" && isInt32(n)) return new Double(n);
  if (type === "int" && !isInt32(n) && Number.isInteger(n)) return Long.fromNumber(n);
  return n;
}

/** Formats a value the way mongod prints BSON in error messages: `{ email: "a@b" }`. */
export function formatValue(value: unknown): string {
  if (value === undefined || value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return value.length === 0 ? "[]" : `[ ${value.map(formatValue).join(", ")} ]`;
  if (value instanceof Date) return `new Date(${value.getTime()})`;
  switch (bsonTypeName(value)) {
    case "ObjectId":
      return `ObjectId('${String((value as { toHexString(): string }).toHexString())}')`;
    case "Long":
    case "Int32":
    case "Double":
      return String(toNumber(value));
    case "Decimal128":
      return `NumberDecimal("${String(value)}")`;
    case undefined:
      break;
    default:
      return String(value);
  }
  if (!isPlainObject(value)) return String(value);
  const keys = Object.keys(value);
  if (keys.length === 0) return "{}";
  return `{ ${keys.map((k) => `${k}: ${formatValue(value[k])}`).join(", ")} }`;
}

/** Reads a dotted path without descending into arrays (returns undefined when absent). */
export function getPath(doc: unknown, path: string): unknown {
  let current: unknown = doc;
  for (const part of path.split(".")) {
    if (Array.isArray(current) && /^\d+$/.test(part)) current = current[Number(part)];
    else if (isPlainObject(current)) current = current[part];
    else return undefined;
  }
  return current;
}
