import type { ShownUser } from "../domain/search.js";
import { searchKeysOf } from "../domain/search-keys.js";
import { trigramsOf } from "../domain/trigrams.js";
import type { PendingUserLog } from "../domain/user-logs.js";
import type { IdentifierKind, UserPatch, UserRecord } from "../domain/user-store.js";

/**
 * How a user is stored in the `users` collection: the record's fields, the id
 * as `_id`, and what storage derives from the display values: the `*Key`
 * fields hold the normalised forms that unique indexes and indexed search
 * use, `grams` and `searchKeys` serve search. Storage code alone sees it: the
 * domain gets a UserRecord.
 */
export interface UserDocument extends Omit<UserRecord, "id" | "tokenEpoch"> {
  /** Opaque id (also the public user id). */
  _id: string;
  /** Lower-cased username: unique (partial index), exact and prefix search. */
  usernameKey?: string;
  /** Lower-cased email: unique (partial index), exact and prefix search. */
  emailKey?: string;
  /** Lower-cased name for case-insensitive exact and prefix search. The phone, E.164, is its own key. */
  nameKey?: string;
  /** Absent means 0. */
  tokenEpoch?: number;
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
  /**
   * Log entries written with the changes they record and not yet moved to `user_logs`, oldest
   * first; absent when there are none (sparse index on `pendingLogs.time`: the sweep's lookup).
   */
  pendingLogs?: PendingUserLog[];
}

/** The stored field each identifier kind is looked up by. */
export const identifierFields: Record<IdentifierKind, "usernameKey" | "emailKey" | "phone"> = {
  username: "usernameKey",
  email: "emailKey",
  phone: "phone",
};

/** The fields search looks users up by, derived from the identifier and name fields: kept in step on every write of them. */
export function searchFieldsOf(user: Partial<UserDocument>): Pick<UserDocument, "grams" | "searchKeys"> {
  return { grams: trigramsOf([user.username, user.email, user.phone, user.name]), searchKeys: searchKeysOf(user) };
}

/** The identifier and name fields that keys and search fields derive from. */
export const searchSources = ["username", "email", "phone", "name"] as const;

/** The lower-cased keys of whichever of username, email and name `fields` holds (undefined where it holds undefined). */
function keysOf(fields: Partial<Pick<UserDocument, "username" | "email" | "name">>): Partial<UserDocument> {
  const keys: Partial<UserDocument> = {};
  if ("username" in fields) keys.usernameKey = fields.username?.toLowerCase();
  if ("email" in fields) keys.emailKey = fields.email?.toLowerCase();
  if ("name" in fields) keys.nameKey = fields.name?.toLowerCase();
  return keys;
}

/** The stored fields a search page shows, all top-level (a plain projection); the password is read for whether there is one. */
const shownFields = [
  "username",
  "email",
  "emailVerified",
  "phone",
  "phoneVerified",
  "name",
  "avatarUrl",
  "profile",
  "customData",
  "identities",
  "suspended",
  "createTime",
  "updateTime",
  "lastSignInTime",
  "lockUntil",
] as const satisfies readonly (keyof ShownUser & keyof UserDocument)[];

/** The record's fields stored as they are (all but the id, `roleIds` and `tokenEpoch`). */
const storedAsIs = [
  ...shownFields,
  "password",
  "failedAttempts",
  "resetCode",
] as const satisfies readonly (keyof UserRecord & keyof UserDocument)[];

export function toUserRecord(doc: UserDocument): UserRecord {
  const record = { id: doc._id, roleIds: doc.roleIds ?? [], tokenEpoch: doc.tokenEpoch ?? 0 } as UserRecord;
  // Only the fields the document holds: a field set to undefined would read as present to `in` and to `toStrictEqual`.
  // Adding them one by one, rather than deleting the unset ones, keeps the record a fast-access object.
  for (const key of storedAsIs)
    if (doc[key] !== undefined) (record as unknown as Record<string, unknown>)[key] = doc[key];
  return record;
}

/** The projection that reads what a search page shows and nothing else. */
export const shownProjection: Readonly<Record<string, 1>> = Object.fromEntries(
  ["_id", ...shownFields, "password"].map((field) => [field, 1]),
);

export function toShownUser(doc: UserDocument): ShownUser {
  const user = { id: doc._id, hasPassword: doc.password !== undefined } as ShownUser;
  for (const key of shownFields)
    if (doc[key] !== undefined) (user as unknown as Record<string, unknown>)[key] = doc[key];
  return user;
}

export function toUserDocument(user: UserRecord): UserDocument {
  const { id, tokenEpoch, ...fields } = user;
  const doc: UserDocument = { _id: id, ...fields, ...(tokenEpoch === 0 ? {} : { tokenEpoch }) };
  Object.assign(doc, keysOf(doc));
  for (const key of Object.keys(doc) as (keyof UserDocument)[]) if (doc[key] === undefined) delete doc[key];
  return { ...doc, ...searchFieldsOf(doc) };
}

/**
 * A patch as `$set` and `$unset` of stored fields: the keys of changed
 * identifiers, and, when an identifier or the name changes, the search
 * fields, computed from `current` (the user's stored identifiers and name).
 */
export function storedChanges(
  patch: UserPatch,
  current?: Pick<UserDocument, (typeof searchSources)[number]>,
): { set: Partial<UserDocument>; unset: string[] } {
  const unset: string[] = [...(patch.unset ?? [])];
  const cleared = Object.fromEntries(unset.map((k) => [k, undefined]));
  const set: Partial<UserDocument> = { ...(patch.set as Partial<UserDocument>) };
  for (const [key, value] of Object.entries(keysOf({ ...pick(set), ...pick(cleared) }))) {
    if (value === undefined) unset.push(key);
    else Object.assign(set, { [key]: value });
  }
  if (current !== undefined)
    Object.assign(
      set,
      searchFieldsOf({ ...current, ...set, ...cleared, ...keysOf({ ...current, ...set, ...cleared }) }),
    );
  return { set, unset };
}

function pick(fields: Partial<UserDocument>): Partial<Pick<UserDocument, "username" | "email" | "name">> {
  return Object.fromEntries(Object.entries(fields).filter(([k]) => k === "username" || k === "email" || k === "name"));
}

/** Whether a patch touches a field that keys or search fields derive from. */
export function changesSearchSources(patch: UserPatch): boolean {
  return searchSources.some((field) => field in patch.set || (patch.unset ?? []).includes(field));
}
