import { decodePageToken, encodePageToken, invalidPageToken } from "@roster/runtime/page-token";
import type { PatCursor } from "./pat-store.js";

// The listing's kind and owner: a token is refused on another user's tokens or on any other listing.
const fingerprintOf = (userId: string) => `pats|${userId}`;

/** A page token of one user's PAT listing, resuming after `after`. */
export function encodePatPageToken(userId: string, after: PatCursor): string {
  return encodePageToken({ t: after.createTime.getTime(), i: after.id }, fingerprintOf(userId));
}

/** The cursor of a token `encodePatPageToken` issued for the same user; undefined for "". */
export function decodePatPageToken(token: string, userId: string): PatCursor | undefined {
  const cursor = decodePageToken(token, fingerprintOf(userId));
  if (cursor === undefined) return undefined;
  const { t, i } = cursor;
  if (typeof t !== "number" || !Number.isFinite(t) || typeof i !== "string") throw invalidPageToken();
  return { createTime: new Date(t), id: i };
}
