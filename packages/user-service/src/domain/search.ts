import { createHash } from "node:crypto";
import { SortDirection, UserSortField, type SearchUsersRequest } from "@roster/client";
import { invalidField } from "@roster/runtime/domain-error";
import type { RegexCost } from "./regex-cost.js";
import { decodePageToken, encodePageToken, pageSizeOf } from "./page-token.js";
import { compactPhone, normaliseKey, planFilter } from "./search-filter.js";
import { rarestFirst, wordTrigrams, wordsOf } from "./trigrams.js";
import type { PageCursor, PlanNode, SearchPlan, SortField } from "./search-plan.js";

const maxQueryLength = 256;

const sortFields: Record<UserSortField, SortField> = {
  [UserSortField.UNSPECIFIED]: "createTime",
  [UserSortField.CREATE_TIME]: "createTime",
  [UserSortField.UPDATE_TIME]: "updateTime",
  [UserSortField.LAST_SIGN_IN_TIME]: "lastSignInTime",
  [UserSortField.USERNAME]: "username",
  [UserSortField.NAME]: "name",
};

/** One page of matches as storage finds it; `next` is set when more follow. */
export interface SearchPage<T> {
  items: T[];
  next: PageCursor | undefined;
  total: number;
}

/** What search needs from storage: the plan in, a page out. */
export interface UserSearchStore<T> {
  search(plan: SearchPlan): Promise<SearchPage<T>>;
}

function fingerprintOf(parts: unknown): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("base64url").slice(0, 22);
}

function cursorFrom(token: string, fingerprint: string): PageCursor | undefined {
  const raw = decodePageToken(token, fingerprint);
  if (raw === undefined) return undefined;
  const { id, v } = raw;
  if (typeof id !== "string") throw invalidField("page_token", "is not a token from a previous response with the same parameters", "INVALID_PAGE_TOKEN");
  return { id, value: v ?? null };
}

function freeTextNode(text: string): PlanNode {
  const key = normaliseKey(text);
  const words = wordsOf(key);
  // The last word may be cut short unless the text ends past it, so it only contributes its leading trigrams.
  const endsInWord = /[\p{L}\p{N}]$/u.test(key);
  const wordGrams = words.flatMap((word, i) => wordTrigrams(word, i < words.length - 1 || !endsInWord));
  return { kind: "freeText", text, key, phone: compactPhone(text), wordGrams: rarestFirst([...new Set(wordGrams)]) };
}

/** Validates a SearchUsers request into a plan; bad input names its field, nothing runs. */
export function planSearch(request: SearchUsersRequest): SearchPlan {
  const text = request.query.trim();
  if (request.query.length > maxQueryLength) throw invalidField("query", `must be at most ${maxQueryLength} characters`);
  if (text.includes("\0")) throw invalidField("query", "must not contain NUL");
  const parts: PlanNode[] = [];
  if (text !== "") parts.push(freeTextNode(text));
  if (request.filter !== undefined) parts.push(planFilter(request.filter));
  const filter = parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : { kind: "and" as const, children: parts };

  const sortField = sortFields[request.sort?.field ?? UserSortField.UNSPECIFIED];
  if (sortField === undefined) throw invalidField("sort.field", "is not a known sort field");
  const direction = request.sort?.direction ?? SortDirection.UNSPECIFIED;
  if (!Object.values(SortDirection).includes(direction)) throw invalidField("sort.direction", "is not a known direction");
  const sort = { field: sortField, descending: direction === SortDirection.DESCENDING };

  const pageSize = pageSizeOf(request.pageSize);
  const fingerprint = fingerprintOf({ filter, sort });
  return { filter, sort, pageSize, after: cursorFrom(request.pageToken, fingerprint), fingerprint };
}

/** Decides a regular expression's worst-case matching cost under flags (`i`, `s`). */
export type RegexCostOf = (pattern: string, flags: string) => Promise<RegexCost>;

/**
 * Highest polynomial degree of matching cost accepted. User fields hold at
 * most 256 characters, so a quadratic pattern costs at most 65,536 steps per
 * value; custom-data strings may be 64 KiB long, so only linear patterns run there.
 */
const maxRegexDegree = (node: Extract<PlanNode, { kind: "pattern" }>): number => (node.target.field === "customData" ? 1 : 2);

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

export interface SearchResult<T> {
  users: T[];
  nextPageToken: string;
  totalSize: number;
}

/** Runs a search: plan, the cost check of the caller's regexes, one storage round, and the token for the page after. */
export async function searchUsers<T>(store: UserSearchStore<T>, request: SearchUsersRequest, regexCostOf: RegexCostOf): Promise<SearchResult<T>> {
  const plan = planSearch(request);
  await refuseCostlyRegexes(plan.filter, regexCostOf);
  const page = await store.search(plan);
  const next = page.next;
  const nextPageToken =
    next === undefined ? "" : encodePageToken(next.value === null ? { id: next.id } : { id: next.id, v: next.value }, plan.fingerprint);
  return { users: page.items, nextPageToken, totalSize: page.total };
}
