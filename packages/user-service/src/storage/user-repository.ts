import type { Collection, Db, Filter, UpdateFilter } from "mongodb";
import { duplicateKeyOf } from "@roster/runtime";
import { alreadyExists } from "@roster/runtime/domain-error";
import type { AttemptRule, IdentifierKey, UserPatch, UserSelector, UserStore } from "../domain/user-store.js";
import type { IdentityDocument, UserDocument } from "./user-document.js";

export const usersCollection = "users";

/** Which request field and reason a unique index stands for. */
const uniqueFields: Record<string, { field: string; reason: string; message: string }> = {
  usernameKey: { field: "username", reason: "USERNAME_TAKEN", message: "the username is taken" },
  emailKey: { field: "primary_email", reason: "EMAIL_TAKEN", message: "the email is taken" },
  phone: { field: "primary_phone", reason: "PHONE_TAKEN", message: "the phone is taken" },
  "identities.target": { field: "identity.provider_user_id", reason: "IDENTITY_TAKEN", message: "the identity is linked to another user" },
};

/** Turns a unique-index violation into ALREADY_EXISTS naming the field; rethrows anything else. */
function mapDuplicate(err: unknown): never {
  const duplicate = duplicateKeyOf(err);
  const key = duplicate === undefined ? undefined : Object.keys(duplicate.keyPattern).find((k) => k in uniqueFields);
  if (key === undefined) throw err;
  const { field, reason, message } = uniqueFields[key]!;
  throw alreadyExists(reason, message, field);
}

/** Reads of one user (GetUser and every change) leave out the search-only trigrams and keys. */
const oneUser = { projection: { grams: 0, searchKeys: 0 } } as const;

/** The `users` collection: the only code that speaks Mongo about users. */
export class UserRepository implements UserStore {
  private readonly users: Collection<UserDocument>;

  constructor(db: Db) {
    this.users = db.collection<UserDocument>(usersCollection);
  }

  async insert(user: UserDocument): Promise<void> {
    await this.users.insertOne(user).catch(mapDuplicate);
  }

  findById(id: string): Promise<UserDocument | null> {
    return this.users.findOne({ _id: id }, oneUser);
  }

  findByIdentifier(key: IdentifierKey, value: string): Promise<UserDocument | null> {
    return this.users.findOne({ [key]: value } as Filter<UserDocument>, oneUser);
  }

  findByResetCode(hash: string): Promise<UserDocument | null> {
    return this.users.findOne({ "resetCode.hash": hash });
  }

  /** Applies a patch and returns the user after it, or null when there is no such user. */
  async patch(id: string, patch: UserPatch): Promise<UserDocument | null> {
    const update: UpdateFilter<UserDocument> = { $set: patch.set };
    if (patch.unset !== undefined && patch.unset.length > 0) {
      update.$unset = Object.fromEntries(patch.unset.map((k) => [k, ""])) as UpdateFilter<UserDocument>["$unset"];
    }
    if (patch.inc !== undefined) update.$inc = patch.inc;
    return this.users
      .findOneAndUpdate({ _id: id }, update, { returnDocument: "after" })
      .catch(mapDuplicate);
  }

  async admitAttempt(who: UserSelector, { now, windowStartCutoff, threshold }: AttemptRule): Promise<UserDocument | null> {
    const selector = "id" in who ? { _id: who.id } : { [who.key]: who.value };
    const inWindow = { $gt: ["$failedAttempts.windowStart", windowStartCutoff] };
    return this.users.findOneAndUpdate(
      {
        ...selector,
        suspended: false,
        lockUntil: { $not: { $gt: now } },
        $or: [{ "failedAttempts.windowStart": { $not: { $gt: windowStartCutoff } } }, { "failedAttempts.count": { $lt: threshold } }],
      } as Filter<UserDocument>,
      [
        {
          $set: {
            failedAttempts: {
              $cond: [inWindow, { count: { $add: ["$failedAttempts.count", 1] }, windowStart: "$failedAttempts.windowStart" }, { count: 1, windowStart: now }],
            },
          },
        },
      ],
      { returnDocument: "after" },
    );
  }

  async lockIfExhausted(id: string, threshold: number, lockUntil: Date): Promise<boolean> {
    const result = await this.users.updateOne(
      { _id: id, "failedAttempts.count": { $gte: threshold } },
      { $set: { lockUntil, failedAttempts: { count: 0 } } },
    );
    return result.modifiedCount === 1;
  }

  /** Atomically takes a valid reset code and applies `patch`; null when the code is unknown, used or expired. */
  consumeResetCode(hash: string, now: Date, patch: UserPatch): Promise<UserDocument | null> {
    return this.users.findOneAndUpdate(
      { "resetCode.hash": hash, "resetCode.expireTime": { $gt: now } },
      { $set: patch.set, $unset: { resetCode: "", lockUntil: "" } },
      { returnDocument: "after" },
    );
  }

  /** Re-links an identity the user already has (same target and provider id): only details and time change. */
  replaceIdentity(id: string, identity: IdentityDocument, now: Date): Promise<UserDocument | null> {
    return this.users.findOneAndUpdate(
      { _id: id, identities: { $elemMatch: { target: identity.target, providerUserId: identity.providerUserId } } },
      { $set: { "identities.$": identity, updateTime: now } },
      { returnDocument: "after" },
    );
  }

  /** Adds an identity unless the user already has one of that target or has `maxIdentities`. */
  async pushIdentity(id: string, identity: IdentityDocument, maxIdentities: number, now: Date): Promise<UserDocument | null> {
    return this.users
      .findOneAndUpdate(
        { _id: id, "identities.target": { $ne: identity.target }, [`identities.${maxIdentities - 1}`]: { $exists: false } } as Filter<UserDocument>,
        { $push: { identities: identity }, $set: { updateTime: now } },
        { returnDocument: "after" },
      )
      .catch(mapDuplicate);
  }

  pullIdentity(id: string, target: string, now: Date): Promise<UserDocument | null> {
    return this.users.findOneAndUpdate(
      { _id: id, "identities.target": target },
      { $pull: { identities: { target } }, $set: { updateTime: now } },
      { returnDocument: "after" },
    );
  }

  async delete(id: string): Promise<boolean> {
    return (await this.users.deleteOne({ _id: id })).deletedCount === 1;
  }
}
