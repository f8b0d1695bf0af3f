import { bsonTypeName, bsonTypeOf, isNumeric, isPlainObject, toNumber, type Doc } from "./bson-values.js";
import { CommandError } from "./errors.js";
import type { Collection } from "./collection.js";
import type { CommandContext } from "./command-context.js";
import { Deadline } from "./deadline.js";
import { foldFor } from "./collation.js";
import { compileFilter } from "./query-engine.js";
import type { StoredDoc } from "./stored-doc.js";

/** A numeric command argument, or undefined when absent. */
export function numberArg(body: Doc, field: string): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!isNumeric(value)) throw new CommandError(14, `BSON field '${field}' is the wrong type '${bsonTypeOf(value)}', expected types '[long, int, decimal, double']`);
  return toNumber(value);
}

export function docArg(body: Doc, field: string): Doc | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) throw new CommandError(14, `BSON field '${field}' is the wrong type '${bsonTypeOf(value)}', expected type 'object'`);
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

/**
 * The documents of a collection that match a filter, in natural order, examined in one go: for
 * writes, which must not interleave with other commands between reading and changing a document.
 */
export function matching(collection: Collection | undefined, filter: Doc, collation: unknown, deadline: Deadline): StoredDoc[] {
  const matcher = compileFilter(filter, collation);
  if (!collection) return [];
  const out: StoredDoc[] = [];
  for (const record of collection.candidates(filter, foldFor(collation) !== undefined)) {
    deadline.tick();
    if (matcher(record)) out.push(record);
  }
  deadline.check();
  return out;
}

/**
 * The same for reads, examined in slices that let other commands run between them. The
 * candidates are fixed when the scan starts and stored documents are never changed in place, so
 * the scan reads the collection as it was at that instant: writes that land meanwhile are not
 * seen, half-applied states never are (mongod, yielding under read concern "local", may see a
 * later write; a snapshot at the start is one of the outcomes it allows).
 */
export async function scanMatching(collection: Collection | undefined, filter: Doc, collation: unknown, deadline: Deadline): Promise<StoredDoc[]> {
  const matcher = compileFilter(filter, collation);
  if (!collection) return [];
  const out: StoredDoc[] = [];
  for (const record of collection.candidates(filter, foldFor(collation) !== undefined)) {
    const pause = deadline.step();
    if (pause) await pause;
    if (matcher(record)) out.push(record);
  }
  deadline.check();
  return out;
}
