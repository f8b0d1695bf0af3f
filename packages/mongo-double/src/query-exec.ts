import type { Doc } from "./bson-values.js";
import type { Collection } from "./collection.js";
import type { Deadline } from "./deadline.js";
import { compileFilter } from "./query-engine.js";
import {
  branchCandidates,
  candidates,
  countedKeys,
  forcedBy,
  orderedAlternative,
  planQuery,
  residualFilter,
  servesSort,
  type Plan,
  type ScanStats,
} from "./query-plan.js";
import { sortRecordsInSlices } from "./sort-order.js";
import type { StoredDoc } from "./stored-doc.js";

/** A read's plan and what running it examined, for explain. */
export interface Execution {
  plan: Plan;
  stats: ScanStats;
  /** True when a count was answered by counting index keys. */
  countScan?: boolean;
  /** A plan in the sort's order that a limited find races against `plan` (see `findRecords`). */
  alternative?: Plan;
  /** The plans the race turned down, for explain's rejectedPlans. */
  rejected?: Plan[];
}

/** Plans a read; a `hint` (as the command gave it) decides the plan alone, with no alternative to race. */
export function newExecution(
  collection: Collection | undefined,
  filter: Doc,
  collation: unknown,
  sort?: Doc,
  hint?: unknown,
): Execution {
  const forced = forcedBy(collection, hint);
  const plan: Plan = collection ? planQuery(collection, filter, collation, sort, forced) : { kind: "collscan" };
  const alternative = collection && !forced && orderedAlternative(collection, filter, collation, sort, plan);
  return { plan, stats: { keysExamined: 0, docsExamined: 0 }, ...(alternative && { alternative }) };
}

/**
 * The filter's test for what a plan reads (compiled either way, so a bad filter fails alike);
 * none when the plan's bounds decide it: one scan's, or each branch's of a filter that is an
 * `$or` alone (a document from a branch's scan matches that branch). One scan's documents are
 * tested only on what its bounds leave undecided.
 */
const isOnlyOr = (filter: Doc): boolean => Object.keys(filter).length === 1 && Array.isArray(filter.$or);

function matcherFor(plan: Plan, filter: Doc, collation: unknown): (record: StoredDoc) => boolean {
  const matcher = compileFilter(filter, collation);
  const decided =
    plan.kind === "ixscan"
      ? plan.bounds.decides
      : plan.kind === "or" && isOnlyOr(filter) && plan.scans.every((scan) => scan.bounds.decides);
  if (decided) return () => true;
  const rest = plan.kind === "ixscan" ? residualFilter(plan, filter) : undefined;
  return rest === undefined ? matcher : compileFilter(rest, collation);
}

/**
 * The documents of a collection that match a filter, examined in one go: for writes, which must
 * not interleave with other commands between reading and changing a document.
 */
export function matching(
  collection: Collection | undefined,
  filter: Doc,
  collation: unknown,
  deadline: Deadline,
  hint?: unknown,
): StoredDoc[] {
  const matcher = compileFilter(filter, collation);
  const { plan } = newExecution(collection, filter, collation, undefined, hint);
  if (!collection) return [];
  const out: StoredDoc[] = [];
  for (const record of candidates(collection, plan, {
    keysExamined: 0,
    docsExamined: 0,
  })) {
    deadline.tick();
    if (matcher(record)) out.push(record);
  }
  deadline.check();
  return out;
}

/**
 * The same for reads, examined in slices that let other commands run between them, up to
 * `limit` matches (0: all). The plan reads a snapshot taken when the scan starts and stored
 * documents are never changed in place, so writes that land meanwhile are not seen and
 * half-applied states never are (mongod, yielding under read concern "local", may see a later
 * write; a snapshot at the start is one of the outcomes it allows).
 */
async function collect(
  collection: Collection | undefined,
  execution: Execution,
  filter: Doc,
  collation: unknown,
  deadline: Deadline,
  limit = 0,
): Promise<StoredDoc[]> {
  const matcher = matcherFor(execution.plan, filter, collation);
  if (!collection) return [];
  const { plan } = execution;
  if (plan.kind === "or" && isOnlyOr(filter) && !plan.scans.every((scan) => scan.bounds.decides))
    return collectBranches(collection, plan, filter.$or as Doc[], collation, execution.stats, deadline, limit);
  const out: StoredDoc[] = [];
  for (const record of candidates(collection, execution.plan, execution.stats)) {
    const pause = deadline.step();
    if (pause) await pause;
    if (matcher(record) && out.push(record) === limit) break;
  }
  deadline.check();
  return out;
}

/**
 * `collect` for a filter that is an `$or` alone, read one scan per branch: each document is
 * tested on the branch whose scan found it, less what that scan's bounds decide, and kept once.
 */
async function collectBranches(
  collection: Collection,
  plan: Extract<Plan, { kind: "or" }>,
  branches: Doc[],
  collation: unknown,
  stats: ScanStats,
  deadline: Deadline,
  limit: number,
): Promise<StoredDoc[]> {
  const tests = plan.scans.map((scan, i) =>
    scan.bounds.decides ? () => true : compileFilter(residualFilter(scan, branches[i]!) ?? branches[i], collation),
  );
  const kept = new Set<StoredDoc>();
  const out: StoredDoc[] = [];
  for (const [record, branch] of branchCandidates(plan, stats)) {
    const pause = deadline.step();
    if (pause) await pause;
    if (kept.has(record)) continue;
    stats.docsExamined++;
    if (!tests[branch]!(record)) continue;
    kept.add(record);
    if (out.push(record) === limit) break;
  }
  deadline.check();
  return out;
}

export async function scanMatching(
  collection: Collection | undefined,
  filter: Doc,
  collation: unknown,
  deadline: Deadline,
  hint?: unknown,
): Promise<StoredDoc[]> {
  return collect(collection, newExecution(collection, filter, collation, undefined, hint), filter, collation, deadline);
}

/**
 * mongod's multi-planner trial, for the choice that decides a sorted, limited find: the plan that
 * narrows most must read every match before its blocking sort returns one, while a scan of an
 * index in the sort's order stops at the page but examines documents that do not match. Both run
 * a document at a time; the first to finish wins (the narrow plan when it has read every match,
 * the ordered one when it has `wanted` matches or has run out), so the work is at most twice the
 * winner's whatever share of the collection matches. The execution is left holding the winner.
 */
async function race(
  collection: Collection,
  execution: Execution,
  alternative: Plan,
  query: { filter: Doc; collation: unknown },
  deadline: Deadline,
  wanted: number,
): Promise<{ records: StoredDoc[]; sorted: boolean }> {
  const narrowMatches = matcherFor(execution.plan, query.filter, query.collation);
  const orderedMatches = matcherFor(alternative, query.filter, query.collation);
  const narrowStats: ScanStats = { keysExamined: 0, docsExamined: 0 };
  const orderedStats: ScanStats = { keysExamined: 0, docsExamined: 0 };
  const narrow = candidates(collection, execution.plan, narrowStats);
  const ordered = candidates(collection, alternative, orderedStats);
  const narrowFound: StoredDoc[] = [];
  const orderedFound: StoredDoc[] = [];
  let orderedWins: boolean;
  for (;;) {
    const a = narrow.next();
    const b = ordered.next();
    if (!b.done && orderedMatches(b.value)) orderedFound.push(b.value);
    if (b.done || orderedFound.length === wanted) {
      orderedWins = true;
      break;
    }
    if (a.done) {
      orderedWins = false;
      break;
    }
    if (narrowMatches(a.value)) narrowFound.push(a.value);
    const pause = deadline.step(2);
    if (pause) await pause;
  }
  const [winner, loser, stats] = orderedWins
    ? [alternative, execution.plan, orderedStats]
    : [execution.plan, alternative, narrowStats];
  Object.assign(execution, { plan: winner, stats, rejected: [loser] });
  return orderedWins ? { records: orderedFound, sorted: true } : { records: narrowFound, sorted: false };
}

/**
 * A find's documents, sorted, skipped and limited. When the plan returns them in the sort's
 * order, the scan stops after `skip + limit` matches instead of sorting every match; when it
 * does not and an index would, the two race (see `race`).
 */
export async function findRecords(
  collection: Collection | undefined,
  query: { filter: Doc; sort: Doc | undefined; skip: number; limit: number; collation: unknown; hint?: unknown },
  deadline: Deadline,
  execution = newExecution(collection, query.filter, query.collation, query.sort, query.hint),
): Promise<StoredDoc[]> {
  const { filter, sort, skip, limit, collation } = query;
  let records: StoredDoc[];
  let sorted = !sort || Object.keys(sort).length === 0 || servesSort(execution.plan);
  if (!sorted && collection && limit > 0 && execution.alternative !== undefined) {
    ({ records, sorted } = await race(collection, execution, execution.alternative, query, deadline, skip + limit));
    deadline.check();
  } else {
    records = await collect(collection, execution, filter, collation, deadline, sorted && limit > 0 ? skip + limit : 0);
  }
  if (!sorted && sort !== undefined)
    records = await sortRecordsInSlices(records, sort, collation, deadline, limit > 0 ? skip + limit : 0);
  return records.slice(skip, limit > 0 ? skip + limit : undefined);
}

/**
 * The number of matching documents, counting at most `upTo` (0: all): the keys inside the bounds
 * when they are exact, else the matches of a scan, which stops there too.
 */
export async function countMatching(
  collection: Collection | undefined,
  filter: Doc,
  collation: unknown,
  deadline: Deadline,
  execution = newExecution(collection, filter, collation),
  upTo = 0,
): Promise<number> {
  const { plan } = execution;
  if (plan.kind !== "ixscan" || !plan.bounds.exact) {
    return (await collect(collection, execution, filter, collation, deadline, upTo)).length;
  }
  execution.countScan = true;
  let n = 0;
  for (const _key of countedKeys(plan, execution.stats)) {
    if (++n === upTo) break;
    const pause = deadline.step();
    if (pause) await pause;
  }
  deadline.check();
  return n;
}
