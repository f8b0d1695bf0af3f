import type { StoredPassword } from "../domain/passwords.js";

/**
 * How a user is stored in the `users` collection. Display values are kept as
 * given; the `*Key` fields hold the normalised forms that unique indexes and
 * indexed search use. Domain code reads it as a plain record; only storage
 * code writes it to MongoDB.
 */

export interface UserDocument {
  /** Opaque id (also the public user id). */
  _id: string;
  username?: string;
  /** Lower-cased username: unique (partial index), exact and prefix search. */
  usernameKey?: string;
  /** Primary email as given. */
  email?: string;
  /** Lower-cased email: unique (partial index), exact and prefix search. */
  emailKey?: string;
  emailVerified: boolean;
  /** Primary phone in E.164: unique (partial index), exact and prefix search. */
  phone?: string;
  phoneVerified: boolean;
  name?: string;
  /** Lower-cased name for case-insensitive exact and prefix search. */
  nameKey?: string;
  avatarUrl?: string;
  /** OIDC standard claims, keys as in roster.user.v1.UserProfile (camelCase). */
  profile: Record<string, unknown>;
  customData: Record<string, unknown>;
  identities: IdentityDocument[];
  /** Role ids assigned to the user (multikey index: has-role filter, a role's users). */
  roleIds: string[];
  suspended: boolean;
  /**
   * Raised by every suspension; an access token is valid only under the epoch
   * it was minted in. Absent means 0.
   */
  tokenEpoch?: number;
  /** The PHC-format hash (argon2id, or a legacy digest awaiting rehash); absent when the user has none. */
  password?: PasswordDocument;
  /**
   * Distinct lower-cased trigrams of username, email, phone and name (multikey index: similarity
   * search). Search only: reads of one user leave them out (they are half the stored document).
   */
  grams?: string[];
  /**
   * Lower-cased username, email, and name from each word on (multikey index:
   * free-text prefix search). Absent only on users stored before it existed,
   * until the start-up backfill reaches them.
   */
  searchKeys?: string[];
  createTime: Date;
  updateTime: Date;
  lastSignInTime?: Date;
  /** Password attempts admitted in the window that began at `windowStart`; a success, a lock or an unlock clears it. */
  failedAttempts: { count: number; windowStart?: Date };
  lockUntil?: Date;
  /** SHA-256 of the current password-reset code; a new code replaces it, consuming removes it. */
  resetCode?: { hash: string; expireTime: Date };
}

/** The stored secret (PHC string for argon2, modular crypt for bcrypt, hex digest otherwise) and when it was set. */
export interface PasswordDocument extends StoredPassword {
  setTime: Date;
}

export interface IdentityDocument {
  /** Provider such as "google"; lower-case. */
  target: string;
  providerUserId: string;
  details: Record<string, unknown>;
  linkTime: Date;
}
