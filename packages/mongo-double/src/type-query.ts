import { badValue } from "./errors.js";
import { bsonTypeOf, isPlainObject } from "./bson-values.js";

const TYPE_CODES: Record<number, string> = {
  1: "double",
  2: "string",
  3: "object",
  4: "array",
  5: "binData",
  6: "undefined",
  7: "objectId",
  8: "bool",
  9: "date",
  10: "null",
  11: "regex",
  13: "javascript",
  14: "symbol",
  16: "int",
  17: "timestamp",
  18: "long",
  19: "decimal",
  [-1]: "minKey",
  127: "maxKey",
};
const TYPE_ALIASES = new Set([...Object.values(TYPE_CODES), "number"]);
const NUMBER_TYPES = new Set(["int", "long", "double", "decimal"]);

/** Resolves `$type` arguments (aliases or codes) to mongod's type names. */
export function parseTypeArgument(value: unknown): Set<string> {
  const names = new Set<string>();
  for (const item of Array.isArray(value) ? value : [value]) {
    if (typeof item === "number") {
      const name = TYPE_CODES[item];
      if (!name) throw badValue(`Invalid numerical type code: ${item}`);
      names.add(name);
    } else if (typeof item === "string") {
      if (!TYPE_ALIASES.has(item)) throw badValue(`Unknown type name alias: ${item}`);
      names.add(item);
    } else {
      throw badValue("type must be represented as a number or a string");
    }
  }
  return names;
}

const matchesType = (value: unknown, names: Set<string>): boolean => {
  const type = bsonTypeOf(value);
  return names.has(type) || (names.has("number") && NUMBER_TYPES.has(type));
};

/** Values a path reaches in a stored document, descending through arrays as MongoDB does. */
export function valuesAt(value: unknown, parts: string[]): unknown[] {
  if (parts.length === 0) return value === undefined ? [] : [value];
  const [head, ...rest] = parts as [string, ...string[]];
  if (Array.isArray(value)) {
    if (/^\d+$/.test(head)) return valuesAt(value[Number(head)], rest);
    return value.flatMap((item) => (isPlainObject(item) ? valuesAt(item, parts) : []));
  }
  return isPlainObject(value) ? valuesAt(value[head], rest) : [];
}

/** `$type` on the stored document, which still knows int from long from double. */
export function typePredicate(path: string, names: Set<string>): (stored: unknown) => boolean {
  const parts = path.split(".");
  return (stored) =>
    valuesAt(stored, parts).some(
      (value) =>
        matchesType(value, names) ||
        (Array.isArray(value) && !names.has("array") && value.some((item) => matchesType(item, names))),
    );
}
