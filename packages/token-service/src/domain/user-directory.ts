/** What token-service needs to know about a user; user-service is the source of truth. */
export interface UserSummary {
  id: string;
  /** Empty when the user has none. */
  username: string;
  suspended: boolean;
}

export type PatLogEvent = "pat-created" | "pat-revoked" | "pat-exchanged";

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
 * the moment it returns. Failures to reach user-service throw UNAVAILABLE
 * `USER_SERVICE_UNAVAILABLE`.
 */
export interface UserDirectory {
  /** The user, or undefined when it does not exist (any more). */
  findUser(userId: string): Promise<UserSummary | undefined>;
  /** The user's effective permissions (the union of its roles'). */
  permissionsOf(userId: string): Promise<string[]>;
  appendLog(entry: PatLogEntry): Promise<void>;
}
