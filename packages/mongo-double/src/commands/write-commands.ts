import { isPlainObject, type Doc } from "../bson-values.js";
import { collectionArg, deadlineFor, numberArg } from "../command-args.js";
import { matching } from "../query-exec.js";
import type { CommandHandler } from "../command-context.js";
import { CommandError, toCommandError } from "../errors.js";
import { checkIdForStorage } from "../update-checks.js";
import { applyUpdate, isReplacement, sameStored } from "../update-engine.js";
import { upsertDocument } from "./upsert.js";

// The fields mongod 7.0 parses in each statement; it refuses any other (a later server's `sort` too).
const STATEMENT_FIELDS: Record<string, readonly string[]> = {
  updates: ["q", "u", "multi", "upsert", "arrayFilters", "collation", "hint", "c", "upsertSupplied"],
  deletes: ["q", "limit", "collation", "hint"],
};

function checkStatementFields(body: Doc, command: string, field: string): void {
  for (const statement of Array.isArray(body[field]) ? (body[field] as unknown[]) : []) {
    const unknown = isPlainObject(statement)
      ? Object.keys(statement).find((key) => !STATEMENT_FIELDS[field]!.includes(key))
      : undefined;
    if (unknown !== undefined)
      throw new CommandError(40415, `BSON field '${command}.${field}.${unknown}' is an unknown field.`);
  }
}

/** Runs each statement of a write command, collecting mongod-shaped write errors. */
function runStatements(body: Doc, field: string, run: (statement: Doc, index: number) => void): Doc {
  const statements = body[field];
  if (!Array.isArray(statements)) throw new CommandError(14, `BSON field '${field}' is missing or not an array`);
  const ordered = body.ordered !== false;
  const writeErrors: Doc[] = [];
  for (let index = 0; index < statements.length; index++) {
    try {
      run(statements[index] as Doc, index);
    } catch (error) {
      const failure = toCommandError(error);
      if (failure.code === 50) throw failure;
      writeErrors.push({ index, code: failure.code, errmsg: failure.message, ...failure.extra });
      if (ordered) break;
    }
  }
  return writeErrors.length > 0 ? { writeErrors } : {};
}

const insert: CommandHandler = (body, context) => {
  const collection = context.store.ensureCollection(context.db, collectionArg(body, "insert"));
  let n = 0;
  const errors = runStatements(body, "documents", (doc) => {
    checkIdForStorage(doc);
    collection.insert(doc);
    n++;
  });
  return { n, ...errors, ok: 1 };
};

const update: CommandHandler = (body, context) => {
  const name = collectionArg(body, "update");
  checkStatementFields(body, "update", "updates");
  const deadline = deadlineFor(body, context);
  let n = 0;
  let nModified = 0;
  const upserted: Doc[] = [];
  const errors = runStatements(body, "updates", (statement, index) => {
    const filter = (statement.q ?? {}) as Doc;
    const arrayFilters = statement.arrayFilters as Doc[] | undefined;
    const collation = statement.collation;
    if (statement.multi === true && isReplacement(statement.u)) {
      throw new CommandError(9, "multi update is not supported for replacement-style update");
    }
    const found = matching(context.store.collection(context.db, name), filter, collation, deadline, statement.hint);
    const targets = statement.multi === true ? found : found.slice(0, 1);
    if (targets.length === 0 && statement.upsert === true) {
      const doc = upsertDocument(filter, statement.u, arrayFilters, collation);
      context.store.ensureCollection(context.db, name).insert(doc);
      n++;
      upserted.push({ index, _id: doc._id });
      return;
    }
    const collection = context.store.ensureCollection(context.db, name);
    for (const target of targets) {
      deadline.tick();
      const updated = applyUpdate(target.doc, statement.u, { filter, arrayFilters, collation, inserting: false });
      n++;
      if (!sameStored(target.doc, updated)) {
        collection.replace(target, updated);
        nModified++;
      }
    }
  });
  return { n, nModified, ...(upserted.length > 0 ? { upserted } : {}), ...errors, ok: 1 };
};

const remove: CommandHandler = (body, context) => {
  const name = collectionArg(body, "delete");
  checkStatementFields(body, "delete", "deletes");
  const deadline = deadlineFor(body, context);
  let n = 0;
  const errors = runStatements(body, "deletes", (statement) => {
    if (!isPlainObject(statement.q))
      throw new CommandError(9, "BSON field 'delete.deletes.q' is missing but a required field");
    const collection = context.store.collection(context.db, name);
    const found = matching(collection, statement.q, statement.collation, deadline, statement.hint);
    const targets = numberArg(statement, "limit") === 1 ? found.slice(0, 1) : found;
    for (const target of targets) collection?.remove(target);
    n += targets.length;
  });
  return { n, ...errors, ok: 1 };
};

export const writeCommands: Record<string, CommandHandler> = { insert, update, delete: remove };
