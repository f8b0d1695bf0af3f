import { bsonTypeName, bsonTypeOf, isNumeric, isPlainObject, toNumber, type Doc } from "./bson-values.js";
import { CommandError } from "./errors.js";
import type { CommandContext } from "./command-context.js";
import { Deadline } from "./deadline.js";

/** A numeric command argument, or undefined when absent. */
export function numberArg(body: Doc, field: string): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!isNumeric(value))
    throw new CommandError(
      14,
      `BSON field '${field}' is the wrong type '${bsonTypeOf(value)}', expected types '[long, int, decimal, double']`,
    );
  return toNumber(value);
}

export function docArg(body: Doc, field: string): Doc | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value))
    throw new CommandError(
      14,
      `BSON field '${field}' is the wrong type '${bsonTypeOf(value)}', expected type 'object'`,
    );
  return value;
}

/** The collection name a command targets (the value of its first field). */
export function collectionArg(body: Doc, command: string): string {
  const name = body[command];
  if (typeof name !== "string") throw new CommandError(73, `collection name has invalid type ${bsonTypeOf(name)}`);
  return name;
}

/** A cursor id as the driver sends it (Long), as a bigint. */
export function cursorIdArg(value: unknown): bigint {
  if (bsonTypeName(value) === "Long") return (value as { toBigInt(): bigint }).toBigInt();
  if (typeof value === "number") return BigInt(value);
  throw new CommandError(14, `BSON field 'getMore' is the wrong type '${bsonTypeOf(value)}', expected type 'long'`);
}

export const deadlineFor = (body: Doc, context: CommandContext): Deadline =>
  new Deadline(numberArg(body, "maxTimeMS"), context.settings.maxTimeAlwaysTimeOut);
