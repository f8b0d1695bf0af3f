import { formatValue, type Doc } from "../bson-values.js";
import { collectionArg, docArg } from "../command-args.js";
import type { CommandHandler } from "../command-context.js";
import { CommandError } from "../errors.js";
import { Edge, MAX, MIN, STRING_RANK } from "../index-order.js";
import type { Interval } from "../index-bounds.js";
import { newExecution, type Execution } from "../query-exec.js";
import { servesSort, type IndexScan, type Plan } from "../query-plan.js";
import { findQuery, runCount, runFind } from "./read-commands.js";

const NUMBER_RANK = 3;

/** An interval bound as mongod prints it (`-inf.0`, `""`, `{}` at the ends of the numbers and strings). */
function boundText(bound: unknown): string {
  if (!(bound instanceof Edge)) return formatValue(bound);
  if (bound === MIN) return "MinKey";
  if (bound === MAX) return "MaxKey";
  if (bound.rank === NUMBER_RANK) return bound.side < 0 ? "-inf.0" : "inf.0";
  if (bound.rank === STRING_RANK) return bound.side < 0 ? '""' : "{}";
  return bound.side < 0 ? "MinKey" : "MaxKey";
}

const intervalText = (interval: Interval): string =>
  `${interval.loInclusive ? "[" : "("}${boundText(interval.lo)}, ${boundText(interval.hi)}${interval.hiInclusive ? "]" : ")"}`;

function ixscanStage(scan: IndexScan, stage: "IXSCAN" | "COUNT_SCAN"): Doc {
  const { index, bounds } = scan;
  const used = bounds.pointFields + (bounds.ranged ? 1 : 0);
  const indexBounds: Doc = {};
  index.paths.forEach((path, i) => {
    const field = i < used ? bounds.fields[i] : undefined;
    indexBounds[path] = field ? field.intervals.map(intervalText) : ["[MinKey, MaxKey]"];
  });
  return {
    stage,
    keyPattern: index.spec.key,
    indexName: index.spec.name,
    isMultiKey: index.multikey,
    isUnique: index.spec.unique === true,
    isSparse: index.spec.sparse === true,
    isPartial: index.spec.partialFilterExpression !== undefined,
    indexVersion: 2,
    direction: scan.sortDirection < 0 ? "backward" : "forward",
    indexBounds,
  };
}

/** The stages that read the documents: COLLSCAN, or FETCH over one IXSCAN, an OR of them or their SORT_MERGE. */
function readStages(plan: Plan, stats: Execution["stats"] | undefined, filter: Doc): Doc {
  const filterField = Object.keys(filter).length > 0 ? { filter } : {};
  const docs = stats ? { docsExamined: stats.docsExamined } : {};
  const keys = stats ? { keysExamined: stats.keysExamined } : {};
  if (plan.kind === "collscan") return { stage: "COLLSCAN", ...filterField, direction: "forward", ...docs };
  const union = (scans: IndexScan[]) => ({ inputStages: scans.map((scan) => ixscanStage(scan, "IXSCAN")), ...keys });
  const input =
    plan.kind === "ixscan"
      ? { ...ixscanStage(plan, "IXSCAN"), ...keys }
      : plan.mergeSort !== undefined
        ? { stage: "SORT_MERGE", sortPattern: plan.mergeSort, ...union(plan.scans) }
        : { stage: "OR", ...union(plan.scans) };
  return { stage: "FETCH", ...filterField, ...docs, inputStage: input };
}

function findStages(body: Doc, plan: Plan, stats: Execution["stats"] | undefined): Doc {
  const query = findQuery(body);
  let stage = readStages(plan, stats, query.filter);
  if (query.sort && Object.keys(query.sort).length > 0 && !servesSort(plan)) {
    return {
      stage: "SORT",
      sortPattern: query.sort,
      memLimit: 104857600,
      ...(query.limit > 0 ? { limitAmount: query.limit + query.skip } : {}),
      type: "simple",
      inputStage: query.skip > 0 ? { stage: "SKIP", skipAmount: query.skip, inputStage: stage } : stage,
    };
  }
  if (query.skip > 0) stage = { stage: "SKIP", skipAmount: query.skip, inputStage: stage };
  return query.limit > 0 ? { stage: "LIMIT", limitAmount: query.limit, inputStage: stage } : stage;
}

/**
 * `explain` of find and count: the winning plan's stages as mongod names them, and with
 * executionStats (the driver's default verbosity) what running it examined.
 */
const explain: CommandHandler = async (body, context) => {
  const inner = docArg(body, "explain");
  if (!inner) throw new CommandError(9, "explain command requires a nested object");
  const command = Object.keys(inner)[0] ?? "";
  if (command !== "find" && command !== "count")
    throw new CommandError(115, `explain of ${command} is not supported by the MongoDB double`);
  const name = collectionArg(inner, command);
  const collection = context.store.collection(context.db, name);
  const filter = docArg(inner, command === "find" ? "filter" : "query") ?? {};
  const execution = newExecution(
    collection,
    filter,
    inner.collation,
    command === "find" ? findQuery(inner).sort : undefined,
    inner.hint,
  );
  const withStats = body.verbosity !== "queryPlanner";
  const started = performance.now();
  let nReturned = 0;
  if (withStats)
    nReturned =
      command === "find"
        ? (await runFind(inner, context, execution)).length
        : await runCount(inner, context, execution);
  const stats = withStats ? execution.stats : undefined;
  const stages =
    command === "find"
      ? findStages(inner, execution.plan, stats)
      : {
          stage: "COUNT",
          inputStage:
            execution.countScan && execution.plan.kind === "ixscan"
              ? {
                  ...ixscanStage(execution.plan, "COUNT_SCAN"),
                  ...(withStats ? { keysExamined: execution.stats.keysExamined } : {}),
                }
              : readStages(execution.plan, stats, filter),
        };
  const rejectedPlans = (execution.rejected ?? []).map((plan) => findStages(inner, plan, undefined));
  const queryPlanner = {
    namespace: `${context.db}.${name}`,
    indexFilterSet: false,
    parsedQuery: filter,
    winningPlan: stages,
    rejectedPlans,
  };
  if (!withStats) return { queryPlanner, command: inner, ok: 1 };
  const executionStats = {
    executionSuccess: true,
    nReturned,
    executionTimeMillis: Math.round(performance.now() - started),
    totalKeysExamined: execution.stats.keysExamined,
    totalDocsExamined: execution.stats.docsExamined,
    executionStages: stages,
  };
  return { queryPlanner, executionStats, command: inner, ok: 1 };
};

export const explainCommands: Record<string, CommandHandler> = { explain };
