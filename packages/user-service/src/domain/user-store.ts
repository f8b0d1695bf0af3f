import type { IdentityDocument, UserDocument } from "../storage/user-document.js";

export type IdentifierKey = "usernameKey" | "emailKey" | "phone";

/** Partial writes the domain asks for; `updateTime` is part of `set` whenever the user changes. */
export interface UserPatch {
  set: Partial<UserDocument>;
  unset?: (keyof UserDocument)[];
  /** Counters to raise atomically. */
  inc?: Partial<Record<"tokenEpoch", number>>;
}

/** A user as a request names it: by id, or by a normalised identifier. */
export type UserSelector = { id: string } | { key: IdentifierKey; value: string };

/** When a password attempt may go ahead (see SignIn.verify). */
export interface AttemptRule {
  now: Date;
  /** Windows that started at or before this have ended. */
  windowStartCutoff: Date;
  /** Attempts one window admits. */
  threshold: number;
}

/** What user use cases need from storage. Unique-index violations surface as ALREADY_EXISTS naming the field. */
export interface UserStore {
  insert(user: UserDocument): Promise<void>;
  findById(id: string): Promise<UserDocument | null>;
  findByIdentifier(key: IdentifierKey, value: string): Promise<UserDocument | null>;
  findByResetCode(hash: string): Promise<UserDocument | null>;
  patch(id: string, patch: UserPatch): Promise<UserDocument | null>;
  /**
   * Counts a password attempt in the same write that admits it, so that
   * concurrent attempts cannot pass one check together: the user must be
   * unsuspended and unlocked, and the current window below the threshold
   * (an ended window starts anew at 1). Returns the user after the count,
   * or null when the attempt is refused or no such user exists.
   */
  admitAttempt(who: UserSelector, rule: AttemptRule): Promise<UserDocument | null>;
  /** Locks the user until `lockUntil` and clears the count, if the count has reached `threshold`; whether it did. */
  lockIfExhausted(id: string, threshold: number, lockUntil: Date): Promise<boolean>;
  consumeResetCode(hash: string, now: Date, patch: UserPatch): Promise<UserDocument | null>;
  replaceIdentity(id: string, identity: IdentityDocument, now: Date): Promise<UserDocument | null>;
  pushIdentity(id: string, identity: IdentityDocument, maxIdentities: number, now: Date): Promise<UserDocument | null>;
  pullIdentity(id: string, target: string, now: Date): Promise<UserDocument | null>;
  delete(id: string): Promise<boolean>;
}
