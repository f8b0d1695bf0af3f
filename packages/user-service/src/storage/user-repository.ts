import type { Db, Filter, UpdateFilter } from "mongodb";
import { createBatchedLookup, duplicateKeyOf } from "@roster/runtime";
import { alreadyExists } from "@roster/runtime/domain-error";
import type { PendingUserLog } from "../domain/user-logs.js";
import type { IdentifierKind, UserPatch, UserSelector, UserStore } from "../domain/user-store.js";
import {
  changesSearchSources,
  identifierFields,
  searchSources,
  storedChanges,
  toUserDocument,
  toUserRecord,
  type UserDocument,
} from "./user-document.js";
import { stringKey, stringKeys } from "./string-keys.js";

export const usersCollection = "users";

/** Which request field and reason a unique index stands for. */
const uniqueFields: Record<string, { field: string; reason: string; message: string }> = {
  usernameKey: { field: "username", reason: "USERNAME_TAKEN", message: "the username is taken" },
  emailKey: { field: "primary_email", reason: "EMAIL_TAKEN", message: "the email is taken" },
  phone: { field: "primary_phone", reason: "PHONE_TAKEN", message: "the phone is taken" },
  "identities.target": {
    field: "identity.provider_user_id",
    reason: "IDENTITY_TAKEN",
    message: "the identity is linked to another user",
  },
};

/** Turns a unique-index violation into ALREADY_EXISTS naming the field; rethrows anything else. */
function mapDuplicate(err: unknown): never {
  const duplicate = duplicateKeyOf(err);
  const key = duplicate === undefined ? undefined : Object.keys(duplicate.keyPattern).find((k) => k in uniqueFields);
  if (key === undefined) throw err;
  const { field, reason, message } = uniqueFields[key]!;
  throw alreadyExists(reason, message, field);
}

/** Reads of one user (GetUser and every change) leave out the search-only trigrams and keys, and pending log entries. */
const oneUser = { projection: { grams: 0, searchKeys: 0, pendingLogs: 0 } } as const;

const recordOrNull = (doc: UserDocument | null) => (doc === null ? null : toUserRecord(doc));

/** The `$push` that appends a change's log entries to the user's pending ones, in the change's own write. */
function pendingPush(logs: readonly PendingUserLog[] | undefined) {
  return logs === undefined || logs.length === 0 ? {} : { pendingLogs: { $each: [...logs] } };
}

/** `update`, also appending a change's log entries to the user's pending ones when there are any. */
export function withLogs(update: UpdateFilter<UserDocument>, logs: readonly PendingUserLog[] | undefined) {
  const push = pendingPush(logs);
  if ("pendingLogs" in push) update.$push = push;
  return update;
}

function updateOf(
  changes: { set: Partial<UserDocument>; unset: string[] },
  patch: Pick<UserPatch, "inc" | "logs">,
): UpdateFilter<UserDocument> {
  const update: UpdateFilter<UserDocument> = { $set: changes.set };
  if (changes.unset.length > 0)
    update.$unset = Object.fromEntries(changes.unset.map((k) => [k, ""])) as UpdateFilter<UserDocument>["$unset"];
  if (patch.inc !== undefined) update.$inc = patch.inc;
  return withLogs(update, patch.logs);
}

/**
 * Keeps the pending entries other than `ids`, and removes the field once none is left (so the
 * sweep's sparse index holds only users with entries to move).
 */
function clearingPending(ids: readonly string[]) {
  return [
    {
      $set: {
        pendingLogs: {
          $filter: { input: "$pendingLogs", cond: { $not: [{ $in: ["$$this.id", { $literal: ids }] }] } },
        },
      },
    },
    { $set: { pendingLogs: { $cond: [{ $eq: [{ $size: "$pendingLogs" }, 0] }, "$$REMOVE", "$pendingLogs"] } } },
  ];
}

/**
 * The `users` collection: the only code that speaks Mongo about users.
 * `lookupTimeoutMs` bounds a read by id as a whole (see createBatchedLookup).
 */
export function createUserRepository(db: Db, options: { lookupTimeoutMs: number }): UserStore {
  const users = db.collection<UserDocument>(usersCollection);
  // Reads by id that arrive together (GetUser under load) share one round trip.
  const byId = createBatchedLookup(users, { ...oneUser, timeoutMs: options.lookupTimeoutMs });
  // So do reads by an identifier (sign-in flows, GetUserByIdentifier), through the identifier's unique index.
  const byIdentifier = Object.fromEntries(
    Object.entries(identifierFields).map(([kind, field]) => [
      kind,
      createBatchedLookup(users, { ...oneUser, field, condition: stringKeys, timeoutMs: options.lookupTimeoutMs }),
    ]),
  ) as Record<IdentifierKind, (value: string) => Promise<UserDocument | null>>;
  const sources = { projection: Object.fromEntries(searchSources.map((f) => [f, 1])) };
  return {
    async insert(user, logs) {
      const doc = toUserDocument(user);
      await users.insertOne(logs.length === 0 ? doc : { ...doc, pendingLogs: logs }).catch(mapDuplicate);
    },

    async findById(id) {
      return recordOrNull(await byId(id));
    },

    async findByIdentifier(kind, value) {
      return recordOrNull(await byIdentifier[kind](value));
    },

    async findByResetCode(hash) {
      return recordOrNull(await users.findOne({ "resetCode.hash": stringKey(hash) }, oneUser));
    },

    async patch(id, patch) {
      // Search fields derive from all of the identifiers and the name, so a change of one reads the others.
      let current: UserDocument | null | undefined;
      if (changesSearchSources(patch)) {
        current = await users.findOne({ _id: id }, sources);
        if (current === null) return null;
      }
      const update = updateOf(storedChanges(patch, current ?? undefined), patch);
      const [log] = patch.logs ?? [];
      if (patch.replacesLog !== undefined && log !== undefined) {
        const { $push: _appended, ...others } = update;
        const replaced = await users
          .findOneAndUpdate(
            { _id: id, "pendingLogs.id": patch.replacesLog },
            { ...others, $set: { ...others.$set, "pendingLogs.$[replaced]": log } },
            { returnDocument: "after", arrayFilters: [{ "replaced.id": patch.replacesLog }], ...oneUser },
          )
          .catch(mapDuplicate);
        if (replaced !== null) return toUserRecord(replaced);
      }
      return recordOrNull(
        await users.findOneAndUpdate({ _id: id }, update, { returnDocument: "after", ...oneUser }).catch(mapDuplicate),
      );
    },

    async admitAttempt(who: UserSelector, { now, windowStartCutoff, threshold }, attempt) {
      const selector = "id" in who ? { _id: who.id } : { [identifierFields[who.kind]]: stringKey(who.value) };
      const inWindow = { $gt: ["$failedAttempts.windowStart", windowStartCutoff] };
      const admitted = await users.findOneAndUpdate(
        {
          ...selector,
          suspended: false,
          lockUntil: { $not: { $gt: now } },
          $or: [
            { "failedAttempts.windowStart": { $not: { $gt: windowStartCutoff } } },
            { "failedAttempts.count": { $lt: threshold } },
          ],
        } as Filter<UserDocument>,
        [
          {
            $set: {
              failedAttempts: {
                $cond: [
                  inWindow,
                  { count: { $add: ["$failedAttempts.count", 1] }, windowStart: "$failedAttempts.windowStart" },
                  { count: 1, windowStart: now },
                ],
              },
              pendingLogs: {
                $concatArrays: [
                  { $ifNull: ["$pendingLogs", []] },
                  [
                    {
                      $mergeObjects: [
                        { $literal: { ...attempt, payload: {} } },
                        {
                          payload: {
                            reason: {
                              $cond: [
                                { $eq: [{ $type: "$password" }, "missing"] },
                                "NO_PASSWORD",
                                "INVALID_CREDENTIALS",
                              ],
                            },
                          },
                        },
                      ],
                    },
                  ],
                ],
              },
            },
          },
        ],
        // The entry as written is read back; the search-only fields are not.
        { returnDocument: "after", projection: { grams: 0, searchKeys: 0 } },
      );
      if (admitted === null) return null;
      const written = admitted.pendingLogs?.find((entry) => entry.id === attempt.id);
      return { user: toUserRecord(admitted), attempt: written ?? attempt };
    },

    async lockIfExhausted(id, threshold, lockUntil, logs) {
      const result = await users.updateOne(
        { _id: id, "failedAttempts.count": { $gte: threshold } },
        withLogs({ $set: { lockUntil, failedAttempts: { count: 0 } } }, logs),
      );
      return result.modifiedCount === 1;
    },

    async consumeResetCode(hash, now, patch) {
      const { set } = storedChanges(patch);
      const consumed = await users.findOneAndUpdate(
        { "resetCode.hash": stringKey(hash), "resetCode.expireTime": { $gt: now } },
        withLogs({ $set: set, $unset: { resetCode: "", lockUntil: "" } }, patch.logs),
        { returnDocument: "after", ...oneUser },
      );
      return recordOrNull(consumed);
    },

    async replaceIdentity(id, identity, now, logs) {
      const updated = await users.findOneAndUpdate(
        { _id: id, identities: { $elemMatch: { target: identity.target, providerUserId: identity.providerUserId } } },
        withLogs({ $set: { "identities.$": identity, updateTime: now } }, logs),
        { returnDocument: "after", ...oneUser },
      );
      return recordOrNull(updated);
    },

    async pushIdentity(id, identity, maxIdentities, now, logs) {
      const updated = await users
        .findOneAndUpdate(
          {
            _id: id,
            "identities.target": { $ne: identity.target },
            [`identities.${maxIdentities - 1}`]: { $exists: false },
          } as Filter<UserDocument>,
          { $push: { identities: identity, ...pendingPush(logs) }, $set: { updateTime: now } },
          { returnDocument: "after", ...oneUser },
        )
        .catch(mapDuplicate);
      return recordOrNull(updated);
    },

    async pullIdentity(id, target, now, logs) {
      const updated = await users.findOneAndUpdate(
        { _id: id, "identities.target": target },
        withLogs({ $pull: { identities: { target } }, $set: { updateTime: now } }, logs),
        { returnDocument: "after", ...oneUser },
      );
      return recordOrNull(updated);
    },

    async delete(id) {
      return (await users.deleteOne({ _id: id })).deletedCount === 1;
    },

    async clearPendingLogs(userIds, ids) {
      await users.updateMany({ _id: { $in: [...userIds] }, "pendingLogs.id": { $in: [...ids] } }, clearingPending(ids));
    },

    async pendingLogsBefore(cutoff, limit) {
      const due = await users
        .find({ "pendingLogs.time": { $lt: cutoff } }, { projection: { pendingLogs: 1 }, limit })
        .toArray();
      return due.map((doc) => ({ userId: doc._id, entries: doc.pendingLogs ?? [] }));
    },
  };
}
