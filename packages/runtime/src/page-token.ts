import { invalidField, type DomainError } from "./domain-error.js";

export const defaultPageSize = 20;
export const maxPageSize = 100;
/** Longer than any token the services issue; a longer one is refused before it is decoded. */
export const maxPageTokenLength = 1024;

/** Where a listing resumes: scalar values only, so a forged token cannot smuggle query operators. */
export type PageCursor = Readonly<Record<string, string | number>>;

/** 0 means the default; larger values are lowered to the maximum; negatives are refused. */
export function pageSizeOf(requested: number, field = "page_size"): number {
  if (requested < 0) throw invalidField(field, "must not be negative");
  return requested === 0 ? defaultPageSize : Math.min(requested, maxPageSize);
}

/** INVALID_ARGUMENT `INVALID_PAGE_TOKEN`, also for a cursor whose values a listing cannot use. */
export function invalidPageToken(field = "page_token"): DomainError {
  return invalidField(field, "is not a token from a previous response with the same parameters", "INVALID_PAGE_TOKEN");
}

/**
 * Page tokens are opaque to callers: base64url of a JSON cursor plus a
 * fingerprint of the listing (its kind and the request's other parameters),
 * so a token replayed with another filter or on another listing is refused
 * instead of returning a wrong page.
 */
export function encodePageToken(cursor: PageCursor, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ c: cursor, f: fingerprint })).toString("base64url");
}

/** The cursor of a token issued with the same fingerprint; undefined for "" (the first page). */
export function decodePageToken(token: string, fingerprint: string, field = "page_token"): PageCursor | undefined {
  if (token === "") return undefined;
  if (token.length > maxPageTokenLength) throw invalidPageToken(field);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw invalidPageToken(field);
  }
  const value = parsed as { c?: unknown; f?: unknown } | null;
  if (
    typeof value !== "object" ||
    value === null ||
    value.f !== fingerprint ||
    typeof value.c !== "object" ||
    value.c === null
  ) {
    throw invalidPageToken(field);
  }
  const cursor = value.c as Record<string, unknown>;
  if (!Object.values(cursor).every((v) => typeof v === "string" || typeof v === "number"))
    throw invalidPageToken(field);
  return cursor as PageCursor;
}

/**
 * How many items the pages before this one held, as the listing's page token carries it (`n`):
 * 0 for the first page, or a token issued before the listing carried it.
 */
export function listedBefore(cursor: PageCursor | undefined, field = "page_token"): number {
  const listed = cursor?.n ?? 0;
  if (typeof listed !== "number" || !Number.isSafeInteger(listed) || listed < 0) throw invalidPageToken(field);
  return listed;
}

/**
 * The most matches a listing counts when asked for its total: a count stops one past it, so
 * asking on every call costs at most that many index keys however large the set.
 */
export const maxCountedMatches = 10_000;

/**
 * The `total_size` of a listing that counts its matches only when asked (its `include_total`), up
 * to one past `maxCountedMatches`: the count when there is one and it stopped short of that, else a
 * lower bound (the larger of that count and the items of this page and the pages before it, plus one
 * when another page follows), which is exact on a last page.
 */
export function pageTotal(
  counted: number | undefined,
  listed: number,
  onPage: number,
  more: boolean,
): { total: number; exact: boolean } {
  const lower = listed + onPage + (more ? 1 : 0);
  if (counted !== undefined && counted <= maxCountedMatches) return { total: counted, exact: true };
  return { total: Math.max(counted ?? 0, lower), exact: !more };
}

/**
 * A page of a listing that counts its matches only when asked: the first `limit` of `rows` (read
 * one past it, to tell whether another page follows), the next page's token (`cursorOf` its last
 * item, with the items listed so far as `n`, see `listedBefore`), and the total (see `pageTotal`).
 */
export function countedPage<T>(
  rows: readonly T[],
  limit: number,
  listed: number,
  counted: number | undefined,
  cursorOf: (last: T) => PageCursor,
  fingerprint: string,
): { items: T[]; nextPageToken: string; total: number; exact: boolean } {
  const items = rows.slice(0, limit);
  const more = rows.length > limit;
  const last = items.at(-1);
  const nextPageToken =
    more && last !== undefined ? encodePageToken({ ...cursorOf(last), n: listed + items.length }, fingerprint) : "";
  return { items, nextPageToken, ...pageTotal(counted, listed, items.length, more) };
}
