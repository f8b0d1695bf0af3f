import { MongoServerError, type Collection, type Db, type Document, type Filter, type Sort } from "mongodb";
import { DomainError } from "@roster/runtime/domain-error";
import { pageTotal } from "@roster/runtime/page-token";
import type { SearchPage } from "../domain/search.js";
import type {
  JsonValue,
  PageCursor,
  PlanNode,
  RankSource,
  SearchPlan,
  SortField,
  TextTarget,
} from "../domain/search-plan.js";
import {
  byRank,
  freeTextScore,
  rankedAfter,
  rememberedTrigrams,
  type Ranked,
  type RankedFields,
} from "../domain/search-rank.js";
import { escapeRegex } from "../domain/search-regex.js";
import { normaliseKey } from "../domain/search-filter.js";
import { containedTrigrams, similarityTo } from "../domain/trigrams.js";
import { shownProjection, type UserDocument } from "./user-document.js";
import { usersCollection } from "./user-repository.js";
import { findAll } from "./user-search-find.js";
import { rolesCollection } from "./role-repository.js";

export interface UserSearchOptions {
  /** Time limit of one search, all its queries together (each gets what is left as `maxTimeMS`). */
  timeLimitMs: number;
  /** Most similarity candidates scored per filter (the best-sharing ones are kept). */
  similarityCandidates?: number;
  /**
   * Most matches of a free-text query ranked per search: the first the
   * indexes hand over. For the query alone that is the id, then the search
   * keys in order from the text itself, so whole-field matches come first.
   * Pages by relevance end after them.
   */
  rankedCandidates?: number;
}

type UserFilter = Filter<UserDocument>;
/** Filters looked up before the query is built: similarity matches, roles named by name. */
type Resolved = Map<PlanNode, UserFilter>;
/** The similarity of each match of a similarity filter, by user id. */
type Similarities = Map<PlanNode, Map<string, number>>;

const matchNothing: UserFilter = { _id: { $in: [] } };
const defaultSimilarityCandidates = 10_000;
const defaultRankedCandidates = 100;
/** Matches scored for relevance come back in batches this large: one round trip for most searches, not one per 101. */
const rankedBatch = 10_000;
/**
 * A page reads the fields its users show, and the key it is sorted by (the next page's token
 * holds it): not the search-only trigrams and keys (half of each stored user), the other keys,
 * role ids, counters or reset code. The password comes whole, for whether there is one.
 */
const pageProjectionBy = (sortKey: string) =>
  sortKey in shownProjection ? shownProjection : { ...shownProjection, [sortKey]: 1 };
const sortKeys: Record<SortField, string> = {
  createTime: "createTime",
  updateTime: "updateTime",
  lastSignInTime: "lastSignInTime",
  username: "usernameKey",
  name: "nameKey",
};
const indexedText = {
  username: ["usernameKey", "username"],
  email: ["emailKey", "email"],
  name: ["nameKey", "name"],
} as const;

function displayField(target: TextTarget): string {
  if (target.field === "customData") return `customData.${target.path}`;
  return target.field === "id" ? "_id" : target.field;
}

function regex(field: string, pattern: string, caseInsensitive: boolean, dotAll = false): UserFilter {
  const options = `${caseInsensitive ? "i" : ""}${dotAll ? "s" : ""}`;
  return { [field]: options === "" ? { $regex: pattern } : { $regex: pattern, $options: options } };
}

function textMatch(node: Extract<PlanNode, { kind: "match" }>): UserFilter {
  const { target, value, caseSensitive } = node;
  const exact = node.match === "exact";
  const t = target.field;
  if (t === "id" || t === "phone" || t === "customData") {
    const field = displayField(target);
    // Ids and E.164 phones have no case; custom data has no lower-cased copy, so case-insensitive means a scan.
    if (t !== "customData" || caseSensitive)
      return exact ? { [field]: value } : regex(field, `^${escapeRegex(value)}`, false);
    return regex(field, `^${escapeRegex(value)}${exact ? "$" : ""}`, true);
  }
  const [key, display] = indexedText[t];
  const lowered = normaliseKey(value);
  const indexed = exact ? { [key]: lowered } : regex(key, `^${escapeRegex(lowered)}`, false);
  const decided = caseSensitive
    ? // The key index narrows; the display value then decides case.
      { $and: [indexed, exact ? { [display]: value } : regex(display, `^${escapeRegex(value)}`, false)] }
    : indexed;
  return !exact && t === "name" ? withNameGrams(decided, lowered) : decided;
}

/**
 * A name prefix is shared by many users (every "Anna"), so its key range,
 * in name order, must be read whole and sorted to give a page in any other
 * order. Pinned to one trigram the prefix holds, the trigram index returns
 * users in creation order, so the default order's page stops after itself.
 */
function withNameGrams(filter: UserFilter, lowered: string): UserFilter {
  const grams = containedTrigrams(lowered);
  return grams.length === 0 ? filter : { $and: [rarestGram(grams), filter] };
}

/** Three index ranges: the id, `searchKeys` (username, email, name from each word on) and the phone. */
function freeText(node: Extract<PlanNode, { kind: "freeText" }>): UserFilter {
  const branches: UserFilter[] = [{ _id: node.text }, regex("searchKeys", `^${escapeRegex(node.key)}`, false)];
  if (node.phone !== "") branches.push(regex("phone", `^${escapeRegex(node.phone)}`, false));
  return { $or: branches };
}

/**
 * Candidates holding the likely rarest of the trigrams every match has. The
 * index scans one trigram whatever the filter lists, and the exact check
 * that follows decides each candidate, so the others would only cost a
 * second test per candidate.
 */
function rarestGram(grams: string[]): UserFilter {
  return { grams: grams[0] };
}

function pattern(node: Extract<PlanNode, { kind: "pattern" }>): UserFilter {
  const scan = regex(displayField(node.target), node.pattern, !node.caseSensitive, true);
  return node.grams === undefined ? scan : { $and: [rarestGram(node.grams), scan] };
}

function customDataEquals(path: string, value: JsonValue): UserFilter {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return { [path]: value };
  const keys = Object.keys(value);
  if (keys.some((k) => k.includes(".") || k.startsWith("$"))) return matchNothing;
  // Objects compare key by key, whatever order the keys were stored in.
  const size = { $cond: [{ $eq: [{ $type: `$${path}` }, "object"] }, { $size: { $objectToArray: `$${path}` } }, -1] };
  return {
    $and: [
      { $expr: { $eq: [size, keys.length] } },
      ...keys.map((k) => customDataEquals(`${path}.${k}`, value[k] as JsonValue)),
    ],
  };
}

/** Translates a plan node into a Mongo filter; the only place search filters are written. */
export function filterOf(node: PlanNode, resolved: Resolved): UserFilter {
  switch (node.kind) {
    case "match":
      return textMatch(node);
    case "pattern":
      return pattern(node);
    case "similarity":
    case "hasRoleName":
      return resolved.get(node) ?? matchNothing;
    case "freeText":
      return freeText(node);
    case "ids":
      return { _id: { $in: node.ids } };
    case "emails":
      return { emailKey: { $in: node.emails } };
    case "flag":
      return node.flag === "suspended" ? { suspended: node.value } : { password: { $exists: node.value } };
    case "hasRole":
      return { roleIds: node.roleId };
    case "identityTarget":
      return { "identities.target": node.target };
    case "timeRange":
      return { [node.field]: { ...(node.start && { $gte: node.start }), ...(node.end && { $lt: node.end }) } };
    case "customDataEquals":
      return customDataEquals(`customData.${node.path}`, node.value);
    case "and":
      return { $and: node.children.map((c) => filterOf(c, resolved)) };
    case "or":
      return { $or: node.children.map((c) => filterOf(c, resolved)) };
    case "not":
      return { $nor: [filterOf(node.child, resolved)] };
  }
}

/** Everything strictly after `cursor` in the sort order (missing values sort lowest, as in MongoDB). */
export function afterFilter(field: string, descending: boolean, cursor: PageCursor): UserFilter {
  const dir = descending ? "$lt" : "$gt";
  // Times travel in tokens as epoch milliseconds; the key fields are strings.
  const value = typeof cursor.value === "number" ? new Date(cursor.value) : cursor.value;
  const tie = { [field]: value, _id: { [dir]: cursor.id } };
  if (value === null) return descending ? tie : { $or: [tie, { [field]: { $ne: null } }] };
  const beyond = { [field]: { [dir]: value } };
  return { $or: descending ? [beyond, tie, { [field]: null }] : [beyond, tie] };
}

function cursorOf(doc: UserDocument, field: string): Omit<PageCursor, "before"> {
  const value = (doc as unknown as Record<string, unknown>)[field];
  return { id: doc._id, value: value instanceof Date ? value.getTime() : typeof value === "string" ? value : null };
}

function timeLimitExceeded(cause?: unknown): DomainError {
  return new DomainError("resource-exhausted", {
    reason: "SEARCH_TIME_LIMIT_EXCEEDED",
    message: "the search ran over the server's time limit; narrow it with an indexed filter",
    cause,
  });
}

function searchError(err: unknown): never {
  throw err instanceof MongoServerError && err.code === 50 ? timeLimitExceeded(err) : err;
}

/**
 * One search's time limit, shared by its queries (similarity candidates, the page, the count):
 * each runs with `maxTimeMS` set to what is left, so the whole search stays within the limit.
 */
function startSearchClock(limitMs: number) {
  const ends = Date.now() + limitMs;
  return {
    /** `maxTimeMS` for the next query; fails the search when nothing is left. */
    left(): number {
      const ms = ends - Date.now();
      if (ms < 1) throw timeLimitExceeded();
      return ms;
    },
  };
}

type SearchClock = ReturnType<typeof startSearchClock>;

/** Runs search plans against the `users` collection. */
export function createUserSearch(db: Db, options: UserSearchOptions) {
  const users: Collection<UserDocument> = db.collection<UserDocument>(usersCollection);
  const roles: Collection<Document> = db.collection(rolesCollection);

  /** Looks up what the filter cannot express directly: similarity matches and roles named by name. */
  async function resolve(
    node: PlanNode | undefined,
    into: Resolved,
    similarities: Similarities,
    clock: SearchClock,
  ): Promise<void> {
    if (node === undefined) return;
    if (node.kind === "and" || node.kind === "or")
      await Promise.all(node.children.map((c) => resolve(c, into, similarities, clock)));
    else if (node.kind === "not") await resolve(node.child, into, similarities, clock);
    else if (node.kind === "similarity") {
      const similar = await findSimilar(node, clock);
      similarities.set(node, similar);
      into.set(node, { _id: { $in: [...similar.keys()] } });
    } else if (node.kind === "hasRoleName") {
      const role = await roles.findOne({ nameKey: node.nameKey }, { projection: { _id: 1 } });
      into.set(node, role === null ? matchNothing : { roleIds: String(role._id) });
    }
  }

  /**
   * Candidates from the trigram index (every match holds one of the probe's
   * trigrams), the likely rarest trigram's users first, at most
   * `similarityCandidates` of them; then pg_trgm similarity of the one field,
   * in code: the similarity of each match by id. Only the field travels, and
   * all candidates in one batch.
   */
  async function findSimilar(
    node: Extract<PlanNode, { kind: "similarity" }>,
    clock: SearchClock,
  ): Promise<Map<string, number>> {
    const cap = options.similarityCandidates ?? defaultSimilarityCandidates;
    // One branch per trigram, in the probe's order: an index scan each, read in turn, so the cap cuts the commonest.
    const anyProbe = { $or: node.probe.map((gram) => ({ grams: gram })) };
    const candidates = await findAll<{ _id: string } & Partial<Record<typeof node.field, string>>>(
      db,
      usersCollection,
      { filter: anyProbe, projection: { [node.field]: 1 }, limit: cap, batchSize: cap },
      clock.left,
    );
    const similar = new Map<string, number>();
    const gramsOf = rememberedTrigrams();
    const similarity = similarityTo(node.grams);
    for (const c of candidates) {
      const value = c[node.field];
      const score = typeof value === "string" ? similarity(gramsOf(value)) : 0;
      if (score >= node.threshold) similar.set(c._id, score);
    }
    return similar;
  }

  /** The Mongo filter a plan stands for. */
  async function filterFor(
    plan: SearchPlan,
    clock = startSearchClock(options.timeLimitMs),
    similarities: Similarities = new Map(),
  ): Promise<UserFilter> {
    const resolved: Resolved = new Map();
    await resolve(plan.filter, resolved, similarities, clock);
    return plan.filter === undefined ? {} : filterOf(plan.filter, resolved);
  }

  async function search(plan: SearchPlan): Promise<SearchPage<UserDocument>> {
    try {
      const clock = startSearchClock(options.timeLimitMs);
      const similarities: Similarities = new Map();
      const filter = await filterFor(plan, clock, similarities);
      const sort = plan.sort;
      return sort.field === "relevance"
        ? await ranked(plan, sort.rank, filter, similarities, clock)
        : await sorted(plan, sort, filter, clock);
    } catch (err) {
      return searchError(err);
    }
  }

  /** A page in a stored field's order: one query, and a count only when asked for and not already known. */
  async function sorted(
    plan: SearchPlan,
    order: { field: SortField; descending: boolean },
    filter: UserFilter,
    clock: SearchClock,
  ): Promise<SearchPage<UserDocument>> {
    const field = sortKeys[order.field];
    const direction = order.descending ? -1 : 1;
    const sort: Sort = { [field]: direction, _id: direction };
    const query =
      plan.after === undefined ? filter : { $and: [filter, afterFilter(field, order.descending, plan.after)] };
    const limit = plan.pageSize + 1;
    const docs = await findAll<UserDocument>(
      db,
      usersCollection,
      { filter: query, sort, limit, batchSize: limit, projection: pageProjectionBy(field) },
      clock.left,
    );
    const items = docs.slice(0, plan.pageSize);
    const more = docs.length > plan.pageSize;
    const before = plan.after?.before ?? 0;
    const last = items[items.length - 1];
    const next = more && last !== undefined ? { ...cursorOf(last, field), before: before + items.length } : undefined;
    // A first page that holds every match has counted them already.
    if (!plan.includeTotal || (plan.after === undefined && !more)) {
      const { total, exact } = pageTotal(undefined, before, items.length, more);
      return { items, next, total, totalExact: exact };
    }
    const total =
      // An unfiltered total comes from collection metadata: counting a million users would scan them all.
      Object.keys(filter).length === 0
        ? await users.estimatedDocumentCount({ maxTimeMS: clock.left() })
        : await users.countDocuments(filter, { maxTimeMS: clock.left() });
    return { items, next, total, totalExact: true };
  }

  /**
   * A page by relevance: the matches are scored (their few fields only),
   * ordered by (score, id), and the page's users are then read whole. A
   * free-text query scores at most `rankedCandidates` of them; the count is
   * the number scored when all were, else a lower bound unless asked for.
   */
  async function ranked(
    plan: SearchPlan,
    rank: RankSource,
    filter: UserFilter,
    similarities: Similarities,
    clock: SearchClock,
  ): Promise<SearchPage<UserDocument>> {
    const similar = rank.kind === "similarity" ? (similarities.get(rank) ?? new Map<string, number>()) : undefined;
    const projection = similar === undefined ? { username: 1, email: 1, phone: 1, name: 1 } : { _id: 1 };
    // Similarity matches are bounded already (`similarityCandidates`), the best kept.
    const bound = similar === undefined ? (options.rankedCandidates ?? defaultRankedCandidates) : undefined;
    const reads = bound === undefined ? { batchSize: rankedBatch } : { limit: bound + 1, batchSize: bound + 1 };
    const read = { filter, projection, ...reads };
    // A similarity filter on its own has found its matches already.
    const matches: RankedFields[] =
      similar !== undefined && plan.filter === rank
        ? [...similar.keys()].map((_id) => ({ _id }))
        : await findAll<RankedFields>(db, usersCollection, read, clock.left);
    const bounded = bound !== undefined && matches.length > bound;
    if (bounded) matches.length = bound;
    const gramsOf = rememberedTrigrams();
    const scored: Ranked[] = matches.map((m) => ({
      id: m._id,
      score:
        similar === undefined
          ? freeTextScore(rank as Extract<RankSource, { kind: "freeText" }>, m, gramsOf)
          : (similar.get(m._id) ?? 0),
    }));
    scored.sort(byRank);
    const after = plan.after;
    const cursor =
      after === undefined
        ? undefined
        : { id: after.id, score: typeof after.value === "number" ? after.value : Number.POSITIVE_INFINITY };
    const rest = cursor === undefined ? scored : scored.filter((r) => rankedAfter(r, cursor));
    const page = rest.slice(0, plan.pageSize);
    const byId = new Map(
      (
        await findAll<UserDocument>(
          db,
          usersCollection,
          {
            filter: { _id: { $in: page.map((r) => r.id) } },
            projection: shownProjection,
            batchSize: Math.max(page.length, 1),
          },
          clock.left,
        )
      ).map((u) => [u._id, u]),
    );
    // A user deleted since it was scored drops out of the page.
    const kept = page.filter((r) => byId.has(r.id));
    const last = page[page.length - 1];
    const before = after?.before ?? 0;
    const next =
      rest.length > plan.pageSize && last !== undefined
        ? { id: last.id, value: last.score, before: before + page.length }
        : undefined;
    const total = !bounded
      ? scored.length
      : plan.includeTotal
        ? await users.countDocuments(filter, { maxTimeMS: clock.left() })
        : scored.length + 1;
    return {
      items: kept.map((r) => byId.get(r.id) as UserDocument),
      next,
      total,
      totalExact: !bounded || plan.includeTotal,
      scores: kept.map((r) => r.score),
    };
  }

  return { search, filterFor };
}

export type UserSearch = ReturnType<typeof createUserSearch>;
