import { docArg, collectionArg, deadlineFor } from "../command-args.js";
import { matching } from "../query-exec.js";
import type { CommandHandler } from "../command-context.js";
import type { Doc } from "../bson-values.js";
import { CommandError } from "../errors.js";
import { sortRecords } from "../sort-order.js";
import { applyUpdate } from "../update-engine.js";
import { project } from "./read-commands.js";
import { upsertDocument } from "./upsert.js";

const failed = (message: string): CommandError => new CommandError(9, message);

/** findAndModify: errors are thrown to the top level, as mongod replies them. */
const findAndModify: CommandHandler = (body, context) => {
  const name = collectionArg(body, "findAndModify");
  const remove = body.remove === true;
  const hasUpdate = body.update !== undefined && body.update !== null;
  if (remove && hasUpdate) throw failed("Cannot specify both an update and remove=true");
  if (!remove && !hasUpdate) throw failed("Either an update or remove=true must be specified");
  if (remove && body.upsert === true) throw failed("Cannot specify both upsert=true and remove=true ");
  if (remove && body.new === true)
    throw failed("Cannot specify both new=true and remove=true; 'remove' always returns the deleted document");
  const filter = docArg(body, "query") ?? {};
  const collation = body.collation;
  const arrayFilters = body.arrayFilters as Doc[] | undefined;
  const fields = docArg(body, "fields");
  const shape = (doc: Doc | undefined): Doc | null => (doc ? project([doc], fields, collation)[0]! : null);
  let found = matching(
    context.store.collection(context.db, name),
    filter,
    collation,
    deadlineFor(body, context),
    body.hint,
  );
  const sort = docArg(body, "sort");
  if (sort && Object.keys(sort).length > 0) found = sortRecords(found, sort, collation);
  const target = found[0];

  if (remove) {
    if (target) context.store.collection(context.db, name)?.remove(target);
    return { lastErrorObject: { n: target ? 1 : 0 }, value: shape(target?.doc), ok: 1 };
  }
  const collection = context.store.ensureCollection(context.db, name);
  if (!target) {
    if (body.upsert !== true) return { lastErrorObject: { n: 0, updatedExisting: false }, value: null, ok: 1 };
    const doc = upsertDocument(filter, body.update, arrayFilters, collation);
    collection.insert(doc);
    return {
      lastErrorObject: { n: 1, updatedExisting: false, upserted: doc._id },
      value: body.new === true ? shape(doc) : null,
      ok: 1,
    };
  }
  const updated = applyUpdate(target.doc, body.update, { filter, arrayFilters, collation, inserting: false });
  collection.replace(target, updated);
  return {
    lastErrorObject: { n: 1, updatedExisting: true },
    value: shape(body.new === true ? updated : target.doc),
    ok: 1,
  };
};

export const findAndModifyCommands: Record<string, CommandHandler> = { findAndModify };
