import { ProcessingMode } from "mingo";
import { clonePlain, isNumeric, isPlainObject, toNumber, toView, type Doc } from "../bson-values.js";
import { canonicalKey } from "../index-key.js";
import { foldFor } from "../collation.js";
import { collectionArg, cursorIdArg, deadlineFor, docArg, numberArg } from "../command-args.js";
import type { CommandContext, CommandHandler } from "../command-context.js";
import type { Deadline } from "../deadline.js";
import { CommandError, badValue } from "../errors.js";
import { projectDocs, queryOptions, runPipeline } from "../query-engine.js";
import { countMatching, findRecords, newExecution, scanMatching, type Execution } from "../query-exec.js";
import { encodeStored, type EncodedDoc } from "../encoded-docs.js";
import { plainProjection } from "../plain-projection.js";
import type { StoredDoc } from "../stored-doc.js";

/** Applies a find projection to stored documents. */
export function project(docs: Doc[], projection: Doc | undefined, collation: unknown): Doc[] {
  if (!projection || Object.keys(projection).length === 0) return docs;
  return projectDocs(docs, projection, collation);
}

/** Documents handed to mingo at once by reading commands, between two looks at the deadline. */
const CHUNK = 256;

/** Applies `transform` to `items` a chunk at a time, pausing between chunks when the slice is used up. */
async function inChunks<T, R>(items: T[], deadline: Deadline, transform: (chunk: T[]) => R[]): Promise<R[]> {
  if (items.length <= CHUNK) return transform(items);
  const out: R[] = [];
  for (let start = 0; start < items.length; start += CHUNK) {
    const chunk = items.slice(start, start + CHUNK);
    for (const item of transform(chunk)) out.push(item);
    const pause = deadline.step(chunk.length);
    if (pause) await pause;
  }
  return out;
}

/** A find command's query, validated. */
export function findQuery(body: Doc): {
  filter: Doc;
  sort: Doc | undefined;
  skip: number;
  limit: number;
  singleBatch: boolean;
  collation: unknown;
  hint: unknown;
} {
  const skip = numberArg(body, "skip") ?? 0;
  if (skip < 0) throw badValue("skip value must be non-negative");
  const limit = numberArg(body, "limit") ?? 0;
  return {
    filter: docArg(body, "filter") ?? {},
    sort: docArg(body, "sort"),
    skip,
    limit: Math.abs(limit),
    singleBatch: body.singleBatch === true || limit < 0,
    collation: body.collation,
    hint: body.hint,
  };
}

/**
 * Runs a find; `execution` receives the plan and what it examined. Stored documents read whole or
 * through a plain projection come back encoded (see `encodeStored`), others projected.
 */
export async function runFind(
  body: Doc,
  context: CommandContext,
  execution?: Execution,
): Promise<Array<EncodedDoc | Doc>> {
  const query = findQuery(body);
  const deadline = deadlineFor(body, context);
  const records = await findRecords(
    context.store.collection(context.db, collectionArg(body, "find")),
    query,
    deadline,
    execution,
  );
  const projection = docArg(body, "projection");
  const whole = !projection || Object.keys(projection).length === 0;
  const plain = whole ? undefined : plainProjection(projection);
  const docs = await inChunks<StoredDoc, EncodedDoc | Doc>(records, deadline, (chunk) =>
    whole || plain
      ? chunk.map((record) => encodeStored(record, plain))
      : project(
          chunk.map((record) => record.doc),
          projection,
          query.collation,
        ),
  );
  deadline.check();
  return docs;
}

const find: CommandHandler = async (body, context) => {
  const docs = await runFind(body, context);
  return context.cursors.open(
    `${context.db}.${collectionArg(body, "find")}`,
    docs,
    numberArg(body, "batchSize"),
    findQuery(body).singleBatch,
  );
};

const getMore: CommandHandler = (body, context) => {
  const name = collectionArg(body, "collection");
  return context.cursors.getMore(cursorIdArg(body.getMore), `${context.db}.${name}`, numberArg(body, "batchSize"));
};

const killCursors: CommandHandler = (body, context) => {
  const ids = Array.isArray(body.cursors) ? body.cursors.map(cursorIdArg) : [];
  return { ...context.cursors.kill(ids), cursorsAlive: [], cursorsUnknown: [], ok: 1 };
};

/** Runs a count; `execution` receives the plan and what it examined. */
export async function runCount(body: Doc, context: CommandContext, execution?: Execution): Promise<number> {
  const collection = context.store.collection(context.db, collectionArg(body, "count"));
  const skip = Math.max(numberArg(body, "skip") ?? 0, 0);
  const limit = Math.abs(numberArg(body, "limit") ?? 0);
  const filter = docArg(body, "query") ?? {};
  const deadline = deadlineFor(body, context);
  const upTo = limit > 0 ? skip + limit : 0;
  const planned = execution ?? newExecution(collection, filter, body.collation, undefined, body.hint);
  const matched = await countMatching(collection, filter, body.collation, deadline, planned, upTo);
  return Math.max(matched - skip, 0);
}

const count: CommandHandler = async (body, context) => ({ n: await runCount(body, context), ok: 1 });

/** Values a distinct key reaches, with arrays opened as MongoDB does. */
function distinctValues(value: unknown, parts: string[]): unknown[] {
  if (parts.length === 0) return Array.isArray(value) ? value : value === undefined ? [] : [value];
  const [head, ...rest] = parts as [string, ...string[]];
  if (Array.isArray(value)) return value.flatMap((item) => distinctValues(item, parts));
  return isPlainObject(value) ? distinctValues(value[head], rest) : [];
}

const distinct: CommandHandler = async (body, context) => {
  const name = collectionArg(body, "distinct");
  if (typeof body.key !== "string") throw new CommandError(14, "BSON field 'distinct.key' is missing or not a string");
  const deadline = deadlineFor(body, context);
  const records = await scanMatching(
    context.store.collection(context.db, name),
    docArg(body, "query") ?? {},
    body.collation,
    deadline,
    body.hint,
  );
  const fold = foldFor(body.collation);
  const seen = new Map<string, unknown>();
  const parts = body.key.split(".");
  for (const record of records) {
    for (const value of distinctValues(record.doc, parts)) {
      const key = canonicalKey(value, fold);
      if (!seen.has(key)) seen.set(key, value);
    }
    const pause = deadline.step();
    if (pause) await pause;
  }
  return { values: [...seen.values()], ok: 1 };
};

const UNSUPPORTED_STAGES = new Set([
  "$out",
  "$merge",
  "$currentOp",
  "$listSessions",
  "$changeStream",
  "$search",
  "$geoNear",
  "$collStats",
  "$indexStats",
  "$listLocalSessions",
  "$planCacheStats",
  "$listSearchIndexes",
  "$searchMeta",
  "$vectorSearch",
]);

/** Stages that treat each document on its own, so running them a chunk at a time changes nothing. */
const PER_DOCUMENT_STAGES = new Set([
  "$match",
  "$project",
  "$addFields",
  "$set",
  "$unset",
  "$replaceRoot",
  "$replaceWith",
]);

/**
 * A `$group` on a constant key whose fields only `$sum` constants, such as the driver's
 * countDocuments ends with (`{ _id: 1, n: { $sum: 1 } }`), as a function of the number of
 * documents: answered without a pass over them that could not yield.
 */
function constantGroup(stage: Doc): ((count: number) => Doc[]) | undefined {
  const spec = stage.$group;
  if (!isPlainObject(spec) || Object.keys(stage).length !== 1) return undefined;
  const { _id: key, ...fields } = spec;
  if (!(key === null || typeof key === "number" || (typeof key === "string" && !key.startsWith("$")))) return undefined;
  const sums: Array<[string, number]> = [];
  for (const [field, accumulator] of Object.entries(fields)) {
    if (!isPlainObject(accumulator) || Object.keys(accumulator).length !== 1 || typeof accumulator.$sum !== "number")
      return undefined;
    sums.push([field, accumulator.$sum]);
  }
  return (count) =>
    count === 0 ? [] : [{ _id: key, ...Object.fromEntries(sums.map(([field, each]) => [field, each * count])) }];
}

/** A `$skip` or `$limit` stage's count, when it is a whole number (`$limit` above 0, as mongod requires). */
function stageCount(stage: Doc | undefined, name: "$skip" | "$limit"): number | undefined {
  if (!isPlainObject(stage) || Object.keys(stage).length !== 1 || !isNumeric(stage[name])) return undefined;
  const n = toNumber(stage[name]);
  return Number.isSafeInteger(n) && n >= (name === "$limit" ? 1 : 0) ? n : undefined;
}

/**
 * The stages after a leading `$match` when they only count its matches, as the driver's
 * countDocuments sends them: an optional `$skip`, an optional `$limit`, then a constant `$group`.
 * The count then stops at skip + limit, as mongod's does.
 */
function countOnlyStages(stages: Doc[]): { skip: number; upTo: number; group: (count: number) => Doc[] } | undefined {
  let at = 0;
  const skip = stageCount(stages[at], "$skip");
  if (skip !== undefined) at++;
  const limit = stageCount(stages[at], "$limit");
  if (limit !== undefined) at++;
  const group = at === stages.length - 1 ? constantGroup(stages[at]!) : undefined;
  return group && { skip: skip ?? 0, upTo: limit === undefined ? 0 : (skip ?? 0) + limit, group };
}

const aggregate: CommandHandler = async (body, context) => {
  const target = body.aggregate;
  if (!Array.isArray(body.pipeline)) throw new CommandError(14, "'pipeline' option must be specified as an array");
  if (!isPlainObject(body.cursor) && body.explain !== true)
    throw new CommandError(9, "The 'cursor' option is required, except for aggregate with the explain argument");
  const pipeline = body.pipeline as Doc[];
  for (const stage of pipeline) {
    const stageName = Object.keys(stage)[0] ?? "";
    if (UNSUPPORTED_STAGES.has(stageName))
      throw new CommandError(115, `${stageName} is not supported by the MongoDB double`);
  }
  const deadline = deadlineFor(body, context);
  const collation = body.collation;
  const collection = typeof target === "string" ? context.store.collection(context.db, target) : undefined;
  const [first, ...rest] = pipeline;
  const leadingMatch = first && isPlainObject(first.$match) ? first.$match : undefined;
  const namespace = `${context.db}.${typeof target === "string" ? target : "$cmd.aggregate"}`;
  // countDocuments: a count of the matches, from the index keys when its bounds are exact.
  const countOnly = leadingMatch ? countOnlyStages(rest) : undefined;
  if (countOnly && typeof target === "string") {
    const execution = newExecution(collection, leadingMatch!, collation, undefined, body.hint);
    const matched = await countMatching(collection, leadingMatch!, collation, deadline, execution, countOnly.upTo);
    const n = Math.max(matched - countOnly.skip, 0);
    return context.cursors.open(namespace, countOnly.group(n), numberArg(docArg(body, "cursor") ?? {}, "batchSize"));
  }
  const source =
    typeof target === "string"
      ? (await scanMatching(collection, leadingMatch ?? {}, collation, deadline, body.hint)).map(
          (record) => record.view,
        )
      : [];
  const options = queryOptions(collation, {
    processingMode: ProcessingMode.CLONE_INPUT,
    collectionResolver: (foreign: string) =>
      clonePlain((context.store.collection(context.db, foreign)?.all() ?? []).map((record) => record.view)),
  });
  const stages = toView(leadingMatch ? rest : pipeline) as Doc[];
  const firstWhole = stages.findIndex((stage) => !PER_DOCUMENT_STAGES.has(Object.keys(stage)[0] ?? ""));
  const perDocument = firstWhole < 0 ? stages : stages.slice(0, firstWhole);
  const streamed =
    perDocument.length > 0
      ? await inChunks(source, deadline, (chunk) => runPipeline(perDocument, chunk, options))
      : source;
  const whole = stages.slice(perDocument.length);
  const counted = whole.length === 1 ? constantGroup(whole[0]!) : undefined;
  const results =
    whole.length === 0 ? streamed : counted ? counted(streamed.length) : runPipeline(whole, streamed, options);
  deadline.check();
  return context.cursors.open(namespace, results, numberArg(docArg(body, "cursor") ?? {}, "batchSize"));
};

export const readCommands: Record<string, CommandHandler> = { find, getMore, killCursors, count, distinct, aggregate };
