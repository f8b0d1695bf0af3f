import type { Doc } from "./bson-values.js";
import type { Collection } from "./collection.js";
import type { Deadline } from "./deadline.js";
import { compileFilter } from "./query-engine.js";
import { candidates, countedKeys, planQuery, type Plan, type ScanStats } from "./query-plan.js";
import { sortRecordsInSlices } from "./sort-order.js";
import type { StoredDoc } from "./stored-doc.js";

/** A read's plan and what running it examined, for explain. */
export interface Execution {
  plan: Plan;
  stats: ScanStats;
  /** True when a count was answered by counting index keys. */
  countScan?: boolean;
}

export const newExecution = (collection: Collection | undefined, filter: Doc, collation: unknown, sort?: Doc): Execution => ({
  plan: collection ? planQuery(collection, filter, collation, sort) : { kind: "collscan" },
  stats: { keysExamined: 0, docsExamined: 0 },
});

/**
 * The documents of a collection that match a filter, examined in one go: for writes, which must
 * not interleave with other commands between reading and changing a document.
 */
export function matching(collection: Collection | undefined, filter: Doc, collation: unknown, deadline: Deadline): StoredDoc[] {
  const matcher = compileFilter(filter, collation);
  if (!collection) return [];
  const out: StoredDoc[] = [];
  for (const record of candidates(collection, newExecution(collection, filter, collation).plan, { keysExamined: 0, docsExamined: 0 })) {
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
async function collect(collection: Collection | undefined, execution: Execution, filter: Doc, collation: unknown, deadline: Deadline, limit = 0): Promise<StoredDoc[]> {
  const matcher = compileFilter(filter, collation);
  if (!collection) return [];
  const out: StoredDoc[] = [];
  for (const record of candidates(collection, execution.plan, execution.stats)) {
    const pause = deadline.step();
    if (pause) await pause;
    if (matcher(record) && out.push(record) === limit) break;
  }
  deadline.check();
  return out;
}

export async function scanMatching(collection: Collection | undefined, filter: Doc, collation: unknown, deadline: Deadline, execution = newExecution(collection, filter, collation)): Promise<StoredDoc[]> {
  return collect(collection, execution, filter, collation, deadline);
}

/**
 * A find's documents, sorted, skipped and limited. When the plan's index returns them in the
 * sort's order, the scan stops after `skip + limit` matches instead of sorting every match.
 */
export async function findRecords(
  collection: Collection | undefined,
  query: { filter: Doc; sort: Doc | undefined; skip: number; limit: number; collation: unknown },
  deadline: Deadline,
  execution = newExecution(collection, query.filter, query.collation, query.sort),
): Promise<StoredDoc[]> {
  const { filter, sort, skip, limit, collation } = query;
  const sorted = !sort || Object.keys(sort).length === 0 || (execution.plan.kind === "ixscan" && execution.plan.sortDirection !== 0);
  let records = await collect(collection, execution, filter, collation, deadline, sorted && limit > 0 ? skip + limit : 0);
  if (!sorted) records = await sortRecordsInSlices(records, sort, collation, deadline);
  return records.slice(skip, limit > 0 ? skip + limit : undefined);
}

/** The number of matching documents: the keys inside the bounds when they are exact, else the matches of a scan. */
export async function countMatching(collection: Collection | undefined, filter: Doc, collation: unknown, deadline: Deadline, execution = newExecution(collection, filter, collation)): Promise<number> {
  const { plan } = execution;
  if (plan.kind !== "ixscan" || !plan.bounds.exact) {
    return (await collect(collection, execution, filter, collation, deadline)).length;
  }
  execution.countScan = true;
  let n = 0;
  for (const _key of countedKeys(plan, execution.stats)) {
    n++;
    const pause = deadline.step();
    if (pause) await pause;
  }
  deadline.check();
  return n;
}
