import type { PendingLogStore } from "./pending-logs.js";
import type { StoredPassword } from "./password-hashes.js";
import type { PendingUserLog } from "./user-logs.js";

/** A linked external identity. */
export interface IdentityRecord {
  /** Provider such as "google"; lower-case. */
  target: string;
  providerUserId: string;
  details: Record<string, unknown>;
  linkTime: Date;
}

/** The stored secret and when it was set. */
export interface PasswordRecord extends StoredPassword {
  setTime: Date;
}

/** A user as the domain knows it. Identifiers are normalised: the email lower-cased, the phone E.164. */
export interface UserRecord {
  /** Opaque id (also the public user id). */
  id: string;
  username?: string;
  email?: string;
  emailVerified: boolean;
  phone?: string;
  phoneVerified: boolean;
  name?: string;
  avatarUrl?: string;
  /** OIDC standard claims, keys as in roster.user.v1.UserProfile (camelCase). */
  profile: Record<string, unknown>;
  customData: Record<string, unknown>;
  identities: IdentityRecord[];
  /** Ids of the roles assigned to the user. */
  roleIds: string[];
  suspended: boolean;
  /** Raised by every suspension; an access token is valid only under the epoch it was minted in. */
  tokenEpoch: number;
  /** Absent when the user has none. */
  password?: PasswordRecord;
  createTime: Date;
  updateTime: Date;
  lastSignInTime?: Date;
  /** Password attempts admitted in the window that began at `windowStart`; a success, a lock or an unlock clears it. */
  failedAttempts: { count: number; windowStart?: Date };
  lockUntil?: Date;
  /** SHA-256 of the current password-reset code; a new code replaces it, consuming removes it. */
  resetCode?: { hash: string; expireTime: Date };
}

export type IdentifierKind = "username" | "email" | "phone";

/** Partial writes the domain asks for; `updateTime` is part of `set` whenever the user changes. */
export interface UserPatch {
  set: Partial<Omit<UserRecord, "id">>;
  unset?: (keyof Omit<UserRecord, "id">)[];
  /** Counters to raise atomically. */
  inc?: Partial<Record<"tokenEpoch", number>>;
  /** Log entries of the change, written in the same write (see PendingUserLog). */
  logs?: PendingUserLog[];
  /**
   * The id of a pending entry the one entry of `logs` takes the place of (a password attempt's,
   * logged as failed unless it succeeds); when that entry is gone, `logs` are appended.
   */
  replacesLog?: string;
}

/** A password attempt admitted, and the entry that logs it as failed unless it succeeds. */
export interface AdmittedAttempt {
  user: UserRecord;
  attempt: PendingUserLog;
}

/** A user as a request names it: by id, or by an identifier in its normalised (lower-cased) form. */
export type UserSelector = { id: string } | { kind: IdentifierKind; value: string };

/** When a password attempt may go ahead (see password-sign-in.ts). */
export interface AttemptRule {
  now: Date;
  /** Windows that started at or before this have ended. */
  windowStartCutoff: Date;
  /** Attempts one window admits. */
  threshold: number;
}

/**
 * What user use cases need from storage; the only code that speaks MongoDB
 * about users implements it. Unique-index violations surface as
 * ALREADY_EXISTS naming the field.
 */
export interface UserStore extends PendingLogStore {
  /** Stores a new user with the entries that log its creation pending in it (see PendingUserLog). */
  insert(user: UserRecord, logs: PendingUserLog[]): Promise<void>;
  findById(id: string): Promise<UserRecord | null>;
  findByIdentifier(kind: IdentifierKind, value: string): Promise<UserRecord | null>;
  findByResetCode(hash: string): Promise<UserRecord | null>;
  /** Applies a patch and returns the user after it, or null when there is no such user. */
  patch(id: string, patch: UserPatch): Promise<UserRecord | null>;
  /**
   * Counts a password attempt in the same write that admits it, so that
   * concurrent attempts cannot pass one check together: the user must be
   * unsuspended and unlocked, and the current window below the threshold
   * (an ended window starts anew at 1). The same write stores `attempt`, a
   * SIGN_IN_FAILED entry, with its reason (`NO_PASSWORD` or
   * `INVALID_CREDENTIALS`) worked out from the user: an admitted attempt is
   * logged as failed unless its check succeeds. Returns the user after the
   * count with the entry as written, or null when the attempt is refused or
   * no such user exists.
   */
  admitAttempt(who: UserSelector, rule: AttemptRule, attempt: PendingUserLog): Promise<AdmittedAttempt | null>;
  /**
   * Locks the user until `lockUntil` and clears the count, if the count has reached `threshold`,
   * writing `logs` with the lock; whether it did.
   */
  lockIfExhausted(id: string, threshold: number, lockUntil: Date, logs: PendingUserLog[]): Promise<boolean>;
  /** Atomically takes a valid reset code and applies `patch`; null when the code is unknown, used or expired. */
  consumeResetCode(hash: string, now: Date, patch: UserPatch): Promise<UserRecord | null>;
  /**
   * Re-links an identity the user already has (same target and provider id): only details and time
   * change. Each identity change writes `logs` with it.
   */
  replaceIdentity(id: string, identity: IdentityRecord, now: Date, logs: PendingUserLog[]): Promise<UserRecord | null>;
  /** Adds an identity unless the user already has one of that target or has `maxIdentities`. */
  pushIdentity(
    id: string,
    identity: IdentityRecord,
    maxIdentities: number,
    now: Date,
    logs: PendingUserLog[],
  ): Promise<UserRecord | null>;
  pullIdentity(id: string, target: string, now: Date, logs: PendingUserLog[]): Promise<UserRecord | null>;
  delete(id: string): Promise<boolean>;
}
