import { invalidField } from "@roster/runtime/domain-error";

export const defaultPageSize = 20;
export const maxPageSize = 100;

/** 0 means the default; larger values are lowered to the maximum; negatives are refused. */
export function pageSizeOf(requested: number, field = "page_size"): number {
  if (requested < 0) throw invalidField(field, "must not be negative");
  return requested === 0 ? defaultPageSize : Math.min(requested, maxPageSize);
}

/**
 * Page tokens are opaque to callers: base64url of a JSON cursor plus a
 * fingerprint of the request's other parameters, so a token replayed with a
 * different filter is refused instead of returning a wrong page.
 */
export function encodePageToken(cursor: Record<string, string | number>, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ c: cursor, f: fingerprint })).toString("base64url");
}

export function decodePageToken(token: string, fingerprint: string, field = "page_token"): Record<string, string | number> | undefined {
  if (token === "") return undefined;
  const invalid = () => invalidField(field, "is not a token from a previous response with the same parameters", "INVALID_PAGE_TOKEN");
  if (token.length > 1024) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  const value = parsed as { c?: unknown; f?: unknown } | null;
  if (typeof value !== "object" || value === null || value.f !== fingerprint || typeof value.c !== "object" || value.c === null) {
    throw invalid();
  }
  const cursor = value.c as Record<string, unknown>;
  if (!Object.values(cursor).every((v) => typeof v === "string" || typeof v === "number")) throw invalid();
  return cursor as Record<string, string | number>;
}
