import type { IdentityDocument, UserDocument } from "../storage/user-document.js";

export type IdentifierKey = "usernameKey" | "emailKey" | "phone";

/** Partial writes the domain asks for; `updateTime` is part of `set` whenever the user changes. */
export interface UserPatch {
  set: Partial<UserDocument>;
  unset?: (keyof UserDocument)[];
  /** Counters to raise atomically. */
  inc?: Partial<Record<"tokenEpoch", number>>;
}

/** What user use cases need from storage. Unique-index violations surface as ALREADY_EXISTS naming the field. */
export interface UserStore {
  insert(user: UserDocument): Promise<void>;
  findById(id: string): Promise<UserDocument | null>;
  findByIdentifier(key: IdentifierKey, value: string): Promise<UserDocument | null>;
  findByResetCode(hash: string): Promise<UserDocument | null>;
  patch(id: string, patch: UserPatch): Promise<UserDocument | null>;
  recordFailure(id: string, now: Date, windowStartCutoff: Date): Promise<number>;
  consumeResetCode(hash: string, now: Date, patch: UserPatch): Promise<UserDocument | null>;
  replaceIdentity(id: string, identity: IdentityDocument, now: Date): Promise<UserDocument | null>;
  pushIdentity(id: string, identity: IdentityDocument, maxIdentities: number, now: Date): Promise<UserDocument | null>;
  pullIdentity(id: string, target: string, now: Date): Promise<UserDocument | null>;
  delete(id: string): Promise<boolean>;
}
