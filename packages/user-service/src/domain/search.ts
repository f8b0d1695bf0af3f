import { hash } from "node:crypto";
import { invalidField } from "@roster/runtime/domain-error";
import type { RegexCost } from "./regex-cost.js";
import {
  decodePageToken,
  encodePageToken,
  invalidPageToken,
  listedBefore,
  pageSizeOf,
} from "@roster/runtime/page-token";
import { compactPhone, normaliseKey } from "./search-filter.js";
import { wordTrigrams, wordsOf } from "./trigrams.js";
import type { PageCursor, PlanNode, RankSource, SearchPlan, SortField } from "./search-plan.js";
import type { UserRecord } from "./user-store.js";

const maxQueryLength = 256;

/**
 * A search as a caller asks for it, its filter already a tree of plan nodes
 * (see search-filter.ts). An unset sort field orders by relevance when there
 * is something to rank by, else by creation time; an unset direction is ascending.
 */
export interface SearchInput {
  query: string;
  filter: PlanNode | undefined;
  sort: { field: SortField | "relevance" | undefined; direction: "ascending" | "descending" | undefined };
  pageSize: number;
  pageToken: string;
  includeTotal: boolean;
}

/**
 * One page of matches as storage finds it; `next` is set when more follow.
 * `total` is exact when `totalExact`, else a lower bound; `scores` are set,
 * one per item, when ranked.
 */
export interface SearchPage<T> {
  items: T[];
  next: PageCursor | undefined;
  total: number;
  totalExact: boolean;
  scores?: number[];
}

/** What search needs from storage: the plan in, a page out. */
export interface UserSearchStore<T> {
  search(plan: SearchPlan): Promise<SearchPage<T>>;
}

function fingerprintOf(parts: unknown): string {
  // One-shot hashing: no Hash object per search.
  return hash("sha256", JSON.stringify(parts), "base64url").slice(0, 22);
}

function cursorFrom(token: string, fingerprint: string): PageCursor | undefined {
  const raw = decodePageToken(token, fingerprint);
  if (raw === undefined) return undefined;
  const { id, v } = raw;
  if (typeof id !== "string") throw invalidPageToken();
  return { id, value: v ?? null, before: listedBefore(raw) };
}

function freeTextNode(text: string): PlanNode {
  const key = normaliseKey(text);
  const words = wordsOf(key);
  // The last word may be cut short unless the text ends past it, so it only contributes its leading trigrams.
  const endsInWord = /[\p{L}\p{N}]$/u.test(key);
  const grams = words.flatMap((word, i) => wordTrigrams(word, i < words.length - 1 || !endsInWord));
  return { kind: "freeText", text, key, phone: compactPhone(text), grams: [...new Set(grams)] };
}

/** The free-text query, or else the first similarity filter the whole filter requires (top level, or a child of a top-level AND). */
function rankSourceOf(filter: PlanNode | undefined): RankSource | undefined {
  const required = filter === undefined ? [] : filter.kind === "and" ? filter.children : [filter];
  const free = required.find((node) => node.kind === "freeText");
  if (free !== undefined) return free as RankSource;
  const inner = required.flatMap((node) => (node.kind === "and" ? node.children : [node]));
  return inner.find((node) => node.kind === "similarity") as RankSource | undefined;
}

/** Validates a search into a plan; bad input names its request field, nothing runs. */
export function planSearch(input: SearchInput): SearchPlan {
  const text = input.query.trim();
  if (input.query.length > maxQueryLength) throw invalidField("query", `must be at most ${maxQueryLength} characters`);
  if (text.includes("\0")) throw invalidField("query", "must not contain NUL");
  const parts: PlanNode[] = [];
  if (text !== "") parts.push(freeTextNode(text));
  if (input.filter !== undefined) parts.push(input.filter);
  const filter =
    parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : { kind: "and" as const, children: parts };

  const rank = rankSourceOf(filter);
  const sortField = input.sort.field ?? (rank === undefined ? "createTime" : "relevance");
  const direction = input.sort.direction;
  let sort: SearchPlan["sort"];
  if (sortField === "relevance") {
    if (rank === undefined)
      throw invalidField("sort.field", "ranks by relevance only with a query or a similarity filter");
    if (direction === "ascending") throw invalidField("sort.direction", "relevance ranks highest first only");
    sort = { field: "relevance", rank };
  } else {
    sort = { field: sortField, descending: direction === "descending" };
  }

  const pageSize = pageSizeOf(input.pageSize);
  const fingerprint = fingerprintOf({ filter, sort: sort.field === "relevance" ? "relevance" : sort });
  return {
    filter,
    sort,
    includeTotal: input.includeTotal,
    pageSize,
    after: cursorFrom(input.pageToken, fingerprint),
    fingerprint,
  };
}

/** Decides a regular expression's worst-case matching cost under flags (`i`, `s`). */
export type RegexCostOf = (pattern: string, flags: string) => Promise<RegexCost>;

/**
 * Highest polynomial degree of matching cost accepted. User fields hold at
 * most 256 characters, so a quadratic pattern costs at most 65,536 steps per
 * value; custom-data strings may be 64 KiB long, so only linear patterns run there.
 */
const maxRegexDegree = (node: Extract<PlanNode, { kind: "pattern" }>): number =>
  node.target.field === "customData" ? 1 : 2;

function callerRegexes(node: PlanNode | undefined): Extract<PlanNode, { kind: "pattern" }>[] {
  if (node === undefined) return [];
  if (node.kind === "pattern") return node.regexAt === undefined ? [] : [node];
  if (node.kind === "and" || node.kind === "or") return node.children.flatMap(callerRegexes);
  return node.kind === "not" ? callerRegexes(node.child) : [];
}

/** Refuses, naming its field, every regular expression whose worst-case cost is over its bound or undecided. */
async function refuseCostlyRegexes(filter: PlanNode | undefined, costOf: RegexCostOf): Promise<void> {
  const regexes = callerRegexes(filter);
  const costs = await Promise.all(regexes.map((node) => costOf(node.pattern, node.caseSensitive ? "s" : "is")));
  regexes.forEach((node, i) => {
    const cost = costs[i] as RegexCost;
    const max = maxRegexDegree(node);
    const problem =
      cost.kind === "unknown"
        ? "could not be shown free of catastrophic backtracking in time; simplify it"
        : cost.kind === "exponential"
          ? "is prone to catastrophic backtracking (exponential in the value's length)"
          : cost.kind === "polynomial" && cost.degree > max
            ? `is prone to catastrophic backtracking (degree ${cost.degree} polynomial in the value's length; at most ${max} allowed here)`
            : undefined;
    if (problem !== undefined) throw invalidField(node.regexAt as string, problem, "REGEX_REJECTED");
  });
}

/**
 * A user as a search page shows it: the record's fields the User message
 * shows, and whether it has a password (never the password itself).
 */
export type ShownUser = Pick<
  UserRecord,
  | "id"
  | "username"
  | "email"
  | "emailVerified"
  | "phone"
  | "phoneVerified"
  | "name"
  | "avatarUrl"
  | "profile"
  | "customData"
  | "identities"
  | "suspended"
  | "createTime"
  | "updateTime"
  | "lastSignInTime"
  | "lockUntil"
> & { hasPassword: boolean };

export interface SearchResult<T> {
  users: T[];
  nextPageToken: string;
  totalSize: number;
  totalSizeExact: boolean;
  /** One per user when ranked, else empty. */
  relevanceScores: number[];
}

/** User search: plan, the cost check of the caller's regexes, one storage round, and the token for the page after. */
export function createUserSearchService<T>(deps: { store: UserSearchStore<T>; regexCostOf: RegexCostOf }) {
  return {
    async search(input: SearchInput): Promise<SearchResult<T>> {
      const plan = planSearch(input);
      await refuseCostlyRegexes(plan.filter, deps.regexCostOf);
      const page = await deps.store.search(plan);
      const next = page.next;
      const nextPageToken =
        next === undefined
          ? ""
          : encodePageToken(
              { id: next.id, n: next.before, ...(next.value === null ? {} : { v: next.value }) },
              plan.fingerprint,
            );
      return {
        users: page.items,
        nextPageToken,
        totalSize: page.total,
        totalSizeExact: page.totalExact,
        relevanceScores: page.scores ?? [],
      };
    },
  };
}

export type UserSearchService<T> = ReturnType<typeof createUserSearchService<T>>;
