import { invalidField } from "@roster/runtime/domain-error";
import type { PatCursor } from "./pat-store.js";

const defaultPageSize = 20;
const maxPageSize = 100;

/** 0 means the default; larger sizes are lowered to the maximum; negative ones are refused. */
export function pageSizeOf(requested: number): number {
  if (requested < 0) throw invalidField("page_size", "must not be negative");
  return requested === 0 ? defaultPageSize : Math.min(requested, maxPageSize);
}

/** An opaque cursor, bound to the user it was issued for. */
export function encodePageToken(userId: string, after: PatCursor): string {
  return Buffer.from(JSON.stringify({ u: userId, t: after.createTime.getTime(), i: after.id })).toString("base64url");
}

export function decodePageToken(token: string, userId: string): PatCursor {
  const invalid = () => invalidField("page_token", "is not a page token of this listing", "INVALID_PAGE_TOKEN");
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  const { u, t, i } = (parsed ?? {}) as { u?: unknown; t?: unknown; i?: unknown };
  if (u !== userId || typeof t !== "number" || !Number.isFinite(t) || typeof i !== "string") throw invalid();
  return { createTime: new Date(t), id: i };
}
