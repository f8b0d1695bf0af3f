import { Long } from "bson";
import { isNumeric, isPlainObject, toNumber, type Doc } from "../bson-values.js";
import { collectionArg } from "../command-args.js";
import type { CommandHandler } from "../command-context.js";
import { CommandError } from "../errors.js";
import { normalizeIndexSpec, sameKeyPattern } from "../index-spec.js";
import { compileFilter } from "../query-engine.js";
import { storeDoc } from "../stored-doc.js";

const UNSUPPORTED_CREATE_OPTIONS = [
  "capped",
  "viewOn",
  "pipeline",
  "timeseries",
  "validator",
  "clusteredIndex",
  "changeStreamPreAndPostImages",
];

const create: CommandHandler = (body, context) => {
  const name = collectionArg(body, "create");
  const unsupported = UNSUPPORTED_CREATE_OPTIONS.find((option) => body[option] !== undefined && body[option] !== false);
  if (unsupported) throw new CommandError(115, `create option '${unsupported}' is not supported by the MongoDB double`);
  context.store.createCollection(context.db, name);
  return { ok: 1 };
};

const drop: CommandHandler = (body, context) => {
  const name = collectionArg(body, "drop");
  const collection = context.store.collection(context.db, name);
  context.store.dropCollection(context.db, name);
  return collection ? { nIndexesWas: collection.indexes().length, ns: collection.namespace, ok: 1 } : { ok: 1 };
};

const dropDatabase: CommandHandler = (_body, context) => {
  context.store.dropDatabase(context.db);
  return { dropped: context.db, ok: 1 };
};

const listCollections: CommandHandler = (body, context) => {
  const entries = context.store.collections(context.db).map((collection) =>
    body.nameOnly === true
      ? { name: collection.name, type: "collection" }
      : {
          name: collection.name,
          type: "collection",
          options: {},
          info: { readOnly: false },
          idIndex: { v: 2, key: { _id: 1 }, name: "_id_" },
        },
  );
  const filter = isPlainObject(body.filter) ? compileFilter(body.filter) : () => true;
  const firstBatch = entries.filter((entry) => filter(storeDoc(entry)));
  return { cursor: { id: Long.ZERO, ns: `${context.db}.$cmd.listCollections`, firstBatch }, ok: 1 };
};

const listDatabases: CommandHandler = (body, context) => {
  const databases = context.store
    .databaseNames()
    .map((name) => (body.nameOnly === true ? { name } : { name, sizeOnDisk: 0, empty: false }));
  return { databases, totalSize: 0, totalSizeMb: 0, ok: 1 };
};

const createIndexes: CommandHandler = (body, context) => {
  const name = collectionArg(body, "createIndexes");
  if (!Array.isArray(body.indexes) || body.indexes.length === 0)
    throw new CommandError(2, "Must specify at least one index to create");
  const specs = body.indexes.map(normalizeIndexSpec);
  const existed = context.store.collection(context.db, name) !== undefined;
  const collection = context.store.ensureCollection(context.db, name);
  const numIndexesBefore = collection.indexes().length;
  let created = 0;
  for (const spec of specs) if (collection.createIndex(spec)) created++;
  const reply: Doc = {
    numIndexesBefore,
    numIndexesAfter: collection.indexes().length,
    createdCollectionAutomatically: !existed,
  };
  if (created === 0) reply.note = "all indexes already exist";
  return { ...reply, ok: 1 };
};

const listIndexes: CommandHandler = (body, context) => {
  const name = collectionArg(body, "listIndexes");
  const collection = context.store.collection(context.db, name);
  if (!collection) throw new CommandError(26, `ns does not exist: ${context.db}.${name}`);
  return { cursor: { id: Long.ZERO, ns: collection.namespace, firstBatch: collection.indexes() }, ok: 1 };
};

const dropIndexes: CommandHandler = (body, context) => {
  const name = collectionArg(body, "dropIndexes");
  const collection = context.store.collection(context.db, name);
  if (!collection) throw new CommandError(26, `ns not found ${context.db}.${name}`);
  const nIndexesWas = collection.indexes().length;
  const target = body.index;
  const names =
    target === "*"
      ? collection
          .indexes()
          .map((index) => index.name)
          .filter((index) => index !== "_id_")
      : Array.isArray(target)
        ? target.map(String)
        : isPlainObject(target)
          ? [collection.indexes().find((index) => sameKeyPattern(index.key, target))?.name ?? JSON.stringify(target)]
          : [String(target)];
  for (const index of names) collection.dropIndex(index);
  return { nIndexesWas, ok: 1 };
};

/** collMod's index form, the one that changes a TTL index's expireAfterSeconds; other options are refused. */
const collMod: CommandHandler = (body, context) => {
  const name = collectionArg(body, "collMod");
  const unsupported = Object.keys(body).find((option) => option !== "collMod" && option !== "index");
  if (unsupported)
    throw new CommandError(115, `collMod option '${unsupported}' is not supported by the MongoDB double`);
  const collection = context.store.collection(context.db, name);
  if (!collection) throw new CommandError(26, `ns does not exist: ${context.db}.${name}`);
  if (!isPlainObject(body.index)) return { ok: 1 };
  const target = body.index;
  const index = collection
    .indexes()
    .find((spec) =>
      typeof target.name === "string"
        ? spec.name === target.name
        : isPlainObject(target.keyPattern) && sameKeyPattern(spec.key, target.keyPattern),
    );
  if (!index)
    throw new CommandError(
      27,
      `cannot find index ${JSON.stringify(target.name ?? target.keyPattern)} for ns ${collection.namespace}`,
    );
  const option = Object.keys(target).find(
    (key) => key !== "name" && key !== "keyPattern" && key !== "expireAfterSeconds",
  );
  if (option !== undefined)
    throw new CommandError(115, `collMod index option '${option}' is not supported by the MongoDB double`);
  if (!isNumeric(target.expireAfterSeconds)) throw new CommandError(2, "no expireAfterSeconds or hidden field");
  const old = collection.setExpireAfterSeconds(index.name, toNumber(target.expireAfterSeconds));
  return {
    ...(old === undefined ? {} : { expireAfterSeconds_old: old }),
    expireAfterSeconds_new: toNumber(target.expireAfterSeconds),
    ok: 1,
  };
};

export const collectionCommands: Record<string, CommandHandler> = {
  create,
  drop,
  dropDatabase,
  listCollections,
  listDatabases,
  createIndexes,
  listIndexes,
  dropIndexes,
  collMod,
};
