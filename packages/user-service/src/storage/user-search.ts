import { MongoServerError, type Collection, type Db, type Document, type Filter, type Sort } from "mongodb";
import { DomainError } from "@roster/runtime/domain-error";
import type { SearchPage, UserSearchStore } from "../domain/search.js";
import type { JsonValue, PageCursor, PlanNode, SearchPlan, SortField, TextTarget } from "../domain/search-plan.js";
import { escapeRegex } from "../domain/search-regex.js";
import { normaliseKey } from "../domain/search-filter.js";
import { trigramSimilarity, trigramsOf } from "../domain/trigrams.js";
import type { UserDocument } from "./user-document.js";
import { usersCollection } from "./user-repository.js";
import { rolesCollection } from "./role-repository.js";

export interface UserSearchOptions {
  /** Time limit of one search, all its queries together (each gets what is left as `maxTimeMS`). */
  timeLimitMs: number;
  /** Most similarity candidates scored per filter (the best-sharing ones are kept). */
  similarityCandidates?: number;
}

type UserFilter = Filter<UserDocument>;
/** Filters looked up before the query is built: similarity matches, roles named by name. */
type Resolved = Map<PlanNode, UserFilter>;

const matchNothing: UserFilter = { _id: { $in: [] } };
/** Characters that end a word inside a name (ASCII space and punctuation). */
const wordBoundary = "(^|[\\s!-/:-@[-`{-~])";
const sortKeys: Record<SortField, string> = {
  createTime: "createTime",
  updateTime: "updateTime",
  lastSignInTime: "lastSignInTime",
  username: "usernameKey",
  name: "nameKey",
};
const indexedText = { username: ["usernameKey", "username"], email: ["emailKey", "email"], name: ["nameKey", "name"] } as const;

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
    if (t !== "customData" || caseSensitive) return exact ? { [field]: value } : regex(field, `^${escapeRegex(value)}`, false);
    return regex(field, `^${escapeRegex(value)}${exact ? "$" : ""}`, true);
  }
  const [key, display] = indexedText[t];
  const lowered = normaliseKey(value);
  const indexed = exact ? { [key]: lowered } : regex(key, `^${escapeRegex(lowered)}`, false);
  if (!caseSensitive) return indexed;
  // The key index narrows; the display value then decides case.
  return { $and: [indexed, exact ? { [display]: value } : regex(display, `^${escapeRegex(value)}`, false)] };
}

function freeText(node: Extract<PlanNode, { kind: "freeText" }>): UserFilter {
  const prefix = `^${escapeRegex(node.key)}`;
  const branches: UserFilter[] = [{ _id: node.text }, regex("usernameKey", prefix, false), regex("emailKey", prefix, false), regex("nameKey", prefix, false)];
  if (node.phone !== "") branches.push(regex("phone", `^${escapeRegex(node.phone)}`, false));
  if (node.wordGrams.length > 0) {
    // `wordGrams` come rarest first, and the index scans the first of an $all.
    branches.push({ $and: [{ grams: { $all: node.wordGrams } }, regex("nameKey", `${wordBoundary}${escapeRegex(node.key)}`, false)] });
  }
  return { $or: branches };
}

function customDataEquals(path: string, value: JsonValue): UserFilter {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return { [path]: value };
  const keys = Object.keys(value);
  if (keys.some((k) => k.includes(".") || k.startsWith("$"))) return matchNothing;
  // Objects compare key by key, whatever order the keys were stored in.
  const size = { $cond: [{ $eq: [{ $type: `$${path}` }, "object"] }, { $size: { $objectToArray: `$${path}` } }, -1] };
  return { $and: [{ $expr: { $eq: [size, keys.length] } }, ...keys.map((k) => customDataEquals(`${path}.${k}`, value[k] as JsonValue))] };
}

/** Translates a plan node into a Mongo filter; the only place search filters are written. */
export function filterOf(node: PlanNode, resolved: Resolved): UserFilter {
  switch (node.kind) {
    case "match":
      return textMatch(node);
    case "pattern":
      return regex(displayField(node.target), node.pattern, !node.caseSensitive, true);
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

function cursorOf(doc: UserDocument, field: string): PageCursor {
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
class SearchClock {
  readonly #ends: number;

  constructor(limitMs: number) {
    this.#ends = Date.now() + limitMs;
  }

  /** `maxTimeMS` for the next query; fails the search when nothing is left. */
  left(): number {
    const ms = this.#ends - Date.now();
    if (ms < 1) throw timeLimitExceeded();
    return ms;
  }
}

/** Runs search plans against the `users` collection. */
export class UserSearch implements UserSearchStore<UserDocument> {
  private readonly users: Collection<UserDocument>;
  private readonly roles: Collection<Document>;

  constructor(
    db: Db,
    private readonly options: UserSearchOptions,
  ) {
    this.users = db.collection<UserDocument>(usersCollection);
    this.roles = db.collection(rolesCollection);
  }

  /** Looks up what the filter cannot express directly: similarity matches and roles named by name. */
  private async resolve(node: PlanNode | undefined, into: Resolved, clock: SearchClock): Promise<void> {
    if (node === undefined) return;
    if (node.kind === "and" || node.kind === "or") await Promise.all(node.children.map((c) => this.resolve(c, into, clock)));
    else if (node.kind === "not") await this.resolve(node.child, into, clock);
    else if (node.kind === "similarity") into.set(node, { _id: { $in: await this.similar(node, clock) } });
    else if (node.kind === "hasRoleName") {
      const role = await this.roles.findOne({ nameKey: node.nameKey }, { projection: { _id: 1 } });
      into.set(node, role === null ? matchNothing : { roleIds: String(role._id) });
    }
  }

  /** Candidates from the trigram index, then pg_trgm similarity on the one field, in code. */
  private async similar(node: Extract<PlanNode, { kind: "similarity" }>, clock: SearchClock): Promise<string[]> {
    const candidates = await this.users
      .aggregate<{ _id: string; value?: string }>(
        [
          { $match: { grams: { $in: node.probe } } },
          { $project: { value: `$${node.field}`, shared: { $size: { $setIntersection: ["$grams", node.grams] } } } },
          { $match: { shared: { $gte: node.minShared } } },
          { $sort: { shared: -1, _id: 1 } },
          { $limit: this.options.similarityCandidates ?? 10_000 },
        ],
        { maxTimeMS: clock.left() },
      )
      .toArray();
    return candidates
      .filter((c) => typeof c.value === "string" && trigramSimilarity(trigramsOf([c.value]), node.grams) >= node.threshold)
      .map((c) => c._id);
  }

  /** The Mongo filter a plan stands for. */
  async filterFor(plan: SearchPlan, clock = new SearchClock(this.options.timeLimitMs)): Promise<UserFilter> {
    const resolved: Resolved = new Map();
    await this.resolve(plan.filter, resolved, clock);
    return plan.filter === undefined ? {} : filterOf(plan.filter, resolved);
  }

  async search(plan: SearchPlan): Promise<SearchPage<UserDocument>> {
    try {
      const clock = new SearchClock(this.options.timeLimitMs);
      const filter = await this.filterFor(plan, clock);
      const field = sortKeys[plan.sort.field];
      const direction = plan.sort.descending ? -1 : 1;
      const sort: Sort = { [field]: direction, _id: direction };
      const query = plan.after === undefined ? filter : { $and: [filter, afterFilter(field, plan.sort.descending, plan.after)] };
      // One query after the other: a scan that runs out of time is not paid for twice.
      const docs = await this.users.find(query, { sort, limit: plan.pageSize + 1, maxTimeMS: clock.left() }).toArray();
      const total =
        // A first page that holds every match has counted them already.
        plan.after === undefined && docs.length <= plan.pageSize
          ? docs.length
          : // An unfiltered total comes from collection metadata: counting a million users on every page would scan them all.
            Object.keys(filter).length === 0
            ? await this.users.estimatedDocumentCount({ maxTimeMS: clock.left() })
            : await this.users.countDocuments(filter, { maxTimeMS: clock.left() });
      const items = docs.slice(0, plan.pageSize);
      const last = items[items.length - 1];
      return { items, next: docs.length > plan.pageSize && last !== undefined ? cursorOf(last, field) : undefined, total };
    } catch (err) {
      return searchError(err);
    }
  }
}
