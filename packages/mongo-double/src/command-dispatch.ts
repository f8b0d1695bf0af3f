import { fromWire, isPlainObject, type Doc } from "./bson-values.js";
import type { CommandContext, CommandHandler } from "./command-context.js";
import { adminCommands } from "./commands/admin-commands.js";
import { collectionCommands } from "./commands/collection-commands.js";
import { explainCommands } from "./commands/explain.js";
import { findAndModifyCommands } from "./commands/find-and-modify.js";
import { readCommands } from "./commands/read-commands.js";
import { writeCommands } from "./commands/write-commands.js";
import { CommandError, toCommandError } from "./errors.js";
import { withLetVariables } from "./query-engine.js";

const HANDLERS: Record<string, CommandHandler> = {
  ...adminCommands,
  ...collectionCommands,
  ...readCommands,
  ...writeCommands,
  ...findAndModifyCommands,
  ...explainCommands,
};

// Session, cluster-time and concern fields mean nothing to a single in-memory node.
const IGNORED_FIELDS = [
  "lsid",
  "txnNumber",
  "$db",
  "$clusterTime",
  "$readPreference",
  "writeConcern",
  "readConcern",
  "autocommit",
  "apiVersion",
  "apiStrict",
  "apiDeprecationErrors",
];

/** Executes one command body as received and returns the reply document (never rejects). */
export async function dispatchCommand(raw: Doc, defaultDb: string, context: Omit<CommandContext, "db">): Promise<Doc> {
  try {
    const unwrapped = isPlainObject(raw.$query) ? raw.$query : raw;
    const body = fromWire(unwrapped) as Doc;
    const name = Object.keys(body)[0];
    if (name === undefined) throw new CommandError(59, "no such command: ''");
    // A standalone mongod refuses transactions; so must the double, so that code needing them fails here too.
    if (body.txnNumber !== undefined || body.startTransaction !== undefined || body.autocommit !== undefined) {
      throw new CommandError(20, "Transaction numbers are only allowed on a replica set member or mongos");
    }
    const db = typeof body.$db === "string" ? body.$db : defaultDb;
    for (const field of IGNORED_FIELDS) delete body[field];
    const handler = Object.hasOwn(HANDLERS, name) ? HANDLERS[name] : undefined;
    if (!handler) throw new CommandError(59, `no such command: '${name}'`);
    return await withLetVariables(body.let, () => handler(body, { ...context, db }));
  } catch (error) {
    return { ok: 0, ...toCommandError(error).toReply() };
  }
}
