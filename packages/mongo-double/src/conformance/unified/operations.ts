import type { AbstractCursor, ClientSession, Collection, Db, Document, MongoClient } from "mongodb";

/** Entities of one test: clients, databases, collections, sessions, cursors and saved results. */
export type EntityMap = Map<string, unknown>;

type Args = Record<string, unknown>;
type Operation = (target: never, args: Args, entities: EntityMap) => Promise<unknown>;

const RETURN_DOCUMENT: Record<string, string> = { Before: "before", After: "after" };

const fail = (message: string): never => {
  throw new Error(message);
};

/** Driver options from a test's arguments: the session entity resolved, `returnDocument` in the driver's case. */
function options(args: Args, entities: EntityMap, ...consumed: string[]): Document {
  const out: Document = {};
  for (const [key, value] of Object.entries(args)) {
    if (consumed.includes(key)) continue;
    if (key === "session") out.session = entities.get(value as string) as ClientSession;
    else if (key === "returnDocument")
      out.returnDocument =
        RETURN_DOCUMENT[value as string] ?? fail(`returnDocument must be Before or After, not ${String(value)}`);
    else out[key] = value;
  }
  return out;
}

/** A result class's own enumerable fields as a plain document (what the spec's results name). */
const plain = (result: unknown): unknown =>
  result !== null && typeof result === "object" && !Array.isArray(result) ? { ...result } : result;

/** A cursor whose first command has run, so that its error belongs to the operation that created it. */
async function opened(cursor: AbstractCursor): Promise<AbstractCursor> {
  await cursor.hasNext();
  return cursor;
}

const collectionOps: Record<string, (c: Collection, a: Args, e: EntityMap) => Promise<unknown>> = {
  aggregate: (c, a, e) => c.aggregate(a.pipeline as Document[], options(a, e, "pipeline")).toArray(),
  bulkWrite: async (c, a, e) => plain(await c.bulkWrite(a.requests as never[], options(a, e, "requests"))),
  count: (c, a, e) => c.count(a.filter as Document, options(a, e, "filter")),
  countDocuments: (c, a, e) => c.countDocuments(a.filter as Document, options(a, e, "filter")),
  createFindCursor: (c, a, e) => opened(c.find(a.filter as Document, options(a, e, "filter"))),
  createIndex: (c, a, e) => c.createIndex(a.keys as Document, options(a, e, "keys")),
  deleteMany: (c, a, e) => c.deleteMany(a.filter as Document, options(a, e, "filter")),
  deleteOne: (c, a, e) => c.deleteOne(a.filter as Document, options(a, e, "filter")),
  distinct: (c, a, e) => c.distinct(a.fieldName as string, a.filter as Document, options(a, e, "fieldName", "filter")),
  drop: (c, a, e) => c.drop(options(a, e)),
  dropIndex: (c, a, e) => c.dropIndex(a.name as string, options(a, e, "name")),
  dropIndexes: (c, a, e) => c.dropIndexes(options(a, e)),
  estimatedDocumentCount: (c, a, e) => c.estimatedDocumentCount(options(a, e)),
  find: (c, a, e) => c.find(a.filter as Document, options(a, e, "filter")).toArray(),
  findOne: (c, a, e) => c.findOne(a.filter as Document, options(a, e, "filter")),
  findOneAndDelete: (c, a, e) => c.findOneAndDelete(a.filter as Document, options(a, e, "filter")),
  findOneAndReplace: (c, a, e) =>
    c.findOneAndReplace(a.filter as Document, a.replacement as Document, options(a, e, "filter", "replacement")),
  findOneAndUpdate: (c, a, e) =>
    c.findOneAndUpdate(a.filter as Document, a.update as Document, options(a, e, "filter", "update")),
  insertMany: (c, a, e) => c.insertMany(a.documents as Document[], options(a, e, "documents")),
  insertOne: (c, a, e) => c.insertOne(a.document as Document, options(a, e, "document")),
  listIndexes: (c, a, e) => c.listIndexes(options(a, e)).toArray(),
  listIndexNames: async (c, a, e) =>
    (await c.listIndexes(options(a, e)).toArray()).map((index) => index.name as string),
  rename: (c, a, e) => c.rename(a.to as string, options(a, e, "to")),
  replaceOne: (c, a, e) =>
    c.replaceOne(a.filter as Document, a.replacement as Document, options(a, e, "filter", "replacement")),
  updateMany: (c, a, e) => c.updateMany(a.filter as Document, a.update as Document, options(a, e, "filter", "update")),
  updateOne: (c, a, e) => c.updateOne(a.filter as Document, a.update as Document, options(a, e, "filter", "update")),
};

const databaseOps: Record<string, (d: Db, a: Args, e: EntityMap) => Promise<unknown>> = {
  aggregate: (d, a, e) => d.aggregate(a.pipeline as Document[], options(a, e, "pipeline")).toArray(),
  createCollection: async (d, a, e) => d.createCollection(a.collection as string, options(a, e, "collection")),
  createCommandCursor: (d, a, e) =>
    opened(d.runCursorCommand(a.command as Document, options(a, e, "command", "commandName"))),
  dropCollection: (d, a, e) => d.dropCollection(a.collection as string, options(a, e, "collection")),
  listCollectionNames: async (d, a, e) =>
    (await d.listCollections(a.filter as Document, options(a, e, "filter")).toArray()).map((c) => c.name),
  listCollections: (d, a, e) => d.listCollections(a.filter as Document, options(a, e, "filter")).toArray(),
  modifyCollection: (d, a, e) => {
    const { collection, session, ...changes } = a;
    return d.command({ collMod: collection, ...changes }, options(session === undefined ? {} : { session }, e));
  },
  runCommand: (d, a, e) => d.command(a.command as Document, options(a, e, "command", "commandName")),
  runCursorCommand: (d, a, e) =>
    d.runCursorCommand(a.command as Document, options(a, e, "command", "commandName")).toArray(),
};

const clientOps: Record<string, (m: MongoClient, a: Args, e: EntityMap) => Promise<unknown>> = {
  listDatabases: async (m, a, e) => (await m.db("admin").admin().listDatabases(options(a, e))).databases,
};

const cursorOps: Record<string, (c: AbstractCursor, a: Args, e: EntityMap) => Promise<unknown>> = {
  close: async (c) => c.close(),
  iterateOnce: (c) => c.tryNext(),
  iterateUntilDocumentOrError: (c) => c.next(),
};

const byKind: Record<string, Record<string, Operation>> = {
  collection: collectionOps as Record<string, Operation>,
  database: databaseOps as Record<string, Operation>,
  client: clientOps as Record<string, Operation>,
  cursor: cursorOps as Record<string, Operation>,
};

/** What kind of entity a driver object is, for choosing its operations. */
function kindOf(target: unknown): string {
  const name = (target as object).constructor.name;
  if (name === "Collection") return "collection";
  if (name === "Db") return "database";
  if (name === "MongoClient") return "client";
  return name.endsWith("Cursor") ? "cursor" : name;
}

/** Runs one entity operation; an operation the runner does not know fails the test by name. */
export function runEntityOperation(target: unknown, name: string, args: Args, entities: EntityMap): Promise<unknown> {
  const kind = kindOf(target);
  const operation = byKind[kind]?.[name];
  if (!operation) throw new Error(`the runner does not implement ${kind}.${name}`);
  return operation(target as never, args, entities);
}
