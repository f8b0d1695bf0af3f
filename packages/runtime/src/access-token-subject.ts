/**
 * What an access token grants once its subject's current state is known. A
 * signature only proves what was true at minting; this is the one rule, shared
 * by both services' guards and by introspection, that decides what is true now.
 * It imports no transport, so domain code can use it.
 */

/** An access token whose signature and claims have been verified. */
export interface AccessTokenGrant {
  /** The user id (`sub`). */
  subject: string;
  /** The scopes granted at minting. */
  scopes: readonly string[];
  /** The subject's token epoch at minting; 0 when the token carries none. */
  tokenEpoch: number;
  /** `exp`, in seconds since the Unix epoch. */
  expiresAt: number;
}

/** A user's state as its service of record sees it now. */
export interface SubjectState {
  suspended: boolean;
  /** The user's effective permissions now: the union of its roles'. */
  permissions: readonly string[];
  /** Raised by every suspension, so tokens minted before it stay revoked after an unsuspension. */
  tokenEpoch: number;
}

/**
 * Reads a subject's current state from its service of record; undefined when
 * the user does not exist (any more). Called on every access-token call.
 */
export type ResolveSubject = (subject: string) => Promise<SubjectState | undefined>;

export type AccessTokenRefusal = "USER_DELETED" | "USER_SUSPENDED" | "TOKEN_REVOKED";

export type AccessTokenVerdict =
  | { active: true; scopes: string[] }
  | { active: false; reason: AccessTokenRefusal; message: string };

/**
 * A deleted or suspended subject, or one suspended since the token was minted,
 * makes the token inactive; otherwise it grants its scopes ∩ the subject's
 * current permissions, sorted, and nothing else.
 */
export function judgeAccessToken(
  grant: Omit<AccessTokenGrant, "expiresAt">,
  state: SubjectState | undefined,
): AccessTokenVerdict {
  if (state === undefined)
    return { active: false, reason: "USER_DELETED", message: "the token's user no longer exists" };
  if (state.suspended) return { active: false, reason: "USER_SUSPENDED", message: "the token's user is suspended" };
  if (grant.tokenEpoch !== state.tokenEpoch) {
    return {
      active: false,
      reason: "TOKEN_REVOKED",
      message: "the token was issued before its user was suspended; exchange the PAT again",
    };
  }
  const permitted = new Set(state.permissions);
  return { active: true, scopes: [...new Set(grant.scopes.filter((s) => permitted.has(s)))].sort() };
}
