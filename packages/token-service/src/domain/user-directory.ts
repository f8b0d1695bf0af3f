/** What token-service needs to know about a user; user-service is the source of truth. */
export interface UserSummary {
  id: string;
  /** Empty when the user has none. */
  username: string;
  suspended: boolean;
}

/** What a user's credentials may do now. */
export interface UserAccess extends UserSummary {
  /** Raised by every suspension; access tokens carry the epoch they were minted in. */
  tokenEpoch: number;
  /** The user's effective permissions (the union of its roles'), sorted. */
  permissions: string[];
}

export type PatLogEvent = "pat-created" | "pat-updated" | "pat-revoked" | "pat-exchanged";

export interface PatLogEntry {
  userId: string;
  event: PatLogEvent;
  success: boolean;
  /** Safe details only: token id and name, a failure reason, a count. Never a secret. */
  payload: Record<string, string | number>;
}

/**
 * The user-service operations token-service depends on. Every call asks
 * user-service afresh (no cache), so a deletion or suspension is seen from
 * the moment it returns; app.ts puts the user-access copy, which keeps that
 * promise under its feeds' lease, in front of `findUser` and `accessOf`. Failures to reach user-service throw UNAVAILABLE
 * `USER_SERVICE_UNAVAILABLE`.
 */
export interface UserDirectory {
  /** The user, or undefined when it does not exist (any more). */
  findUser(userId: string): Promise<UserSummary | undefined>;
  /** The user's state and effective permissions in one round trip, or undefined when it does not exist (any more). */
  accessOf(userId: string): Promise<UserAccess | undefined>;
  /** Appends the entries in one call, in order; a repeat with the same `requestId` stores nothing new. */
  appendLogs(entries: readonly { entry: PatLogEntry; requestId: string }[]): Promise<void>;
}

/**
 * Publishes on user-service's user-access feed that a user's PATs changed,
 * and resolves once no token-service instance can still answer from what it
 * held of them (UNAVAILABLE `USER_SERVICE_UNAVAILABLE` when that is not known).
 */
export type TokensChanged = (userId: string) => Promise<void>;

/** A page of every user's access in user id order (ListUserAccess), from `pageToken` ("" for the first). */
export type ListAccess = (pageToken: string) => Promise<{ accesses: UserAccess[]; nextPageToken: string }>;
