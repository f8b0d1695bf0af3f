import { create, type JsonObject, type MessageInitShape } from "@bufbuild/protobuf";
import type { TimestampSchema } from "@bufbuild/protobuf/wkt";
import { optionalTimestamp } from "@roster/runtime";
import {
  IdentitySchema,
  PasswordAlgorithm,
  RoleSchema,
  SaltPosition,
  UserLogActorSchema,
  UserLogActorType,
  UserLogSchema,
  UserSchema,
  type UserProfileSchema,
  type Identity,
  type PasswordDigest,
  type Role,
  type User,
  type UserLog,
  type UserProfile,
} from "@roster/client";
import { invalidField } from "@roster/runtime/domain-error";
import type { JsonRecord } from "../domain/custom-data.js";
import type { PasswordCredential } from "../domain/password-credentials.js";
import type { PasswordAlgorithm as StoredAlgorithm } from "../domain/password-hashes.js";
import { addressClaims, profileClaims, type ProfileClaims, type ProfileInput } from "../domain/profile.js";
import type { RoleRecord } from "../domain/role-store.js";
import type { ShownUser } from "../domain/search.js";
import { userFieldPaths, type UserFieldPath, type UserFieldsInput } from "../domain/user-fields.js";
import type { UserLogRecord } from "../domain/user-logs.js";
import type { IdentityRecord, UserRecord } from "../domain/user-store.js";
import type { UserUpdateInput } from "../domain/users.js";

/** The claims present in a request profile (proto3 `optional` gives presence). */
export function profileFromProto(profile: UserProfile | undefined): ProfileInput {
  const claims: Record<string, string> = {};
  for (const claim of profileClaims) {
    const value = profile?.[claim];
    if (value !== undefined) claims[claim] = value;
  }
  if (profile?.address === undefined) return { claims };
  const address: Record<string, string> = {};
  for (const claim of addressClaims) {
    const value = profile.address[claim];
    if (value !== undefined) address[claim] = value;
  }
  return { claims, address };
}

export function identityToProto(identity: IdentityRecord): Identity {
  return create(IdentitySchema, {
    target: identity.target,
    providerUserId: identity.providerUserId,
    details: identity.details as JsonObject,
    createTime: optionalTimestamp(identity.linkTime),
  });
}

/**
 * A user as a User message's init shape: plain objects throughout (times too), for a response
 * protobuf-es or the search page encoder writes; `create` makes the message.
 */
export function userInit(user: ShownUser, now = new Date()): MessageInitShape<typeof UserSchema> {
  return {
    id: user.id,
    username: user.username ?? "",
    primaryEmail: user.email ?? "",
    primaryEmailVerified: user.emailVerified,
    primaryPhone: user.phone ?? "",
    primaryPhoneVerified: user.phoneVerified,
    name: user.name ?? "",
    avatarUrl: user.avatarUrl ?? "",
    profile: profileInit(user.profile as ProfileClaims),
    customData: user.customData as JsonObject,
    identities: user.identities.length === 0 ? [] : user.identities.map(identityToProto),
    suspended: user.suspended,
    hasPassword: user.hasPassword,
    createTime: timestampInit(user.createTime),
    updateTime: timestampInit(user.updateTime),
    lastSignInTime: timestampInit(user.lastSignInTime),
    lockExpireTime: user.lockUntil !== undefined && user.lockUntil > now ? timestampInit(user.lockUntil) : undefined,
  };
}

export function userToProto(user: UserRecord, now = new Date()): User {
  return create(UserSchema, userInit({ ...user, hasPassword: user.password !== undefined }, now));
}

function profileInit(profile: ProfileClaims): MessageInitShape<typeof UserProfileSchema> {
  // Most users have no claims: nothing to copy.
  if (Object.keys(profile).length === 0) return {};
  const { address, ...claims } = profile;
  return { ...(claims as Record<string, string>), address: typeof address === "object" ? address : undefined };
}

/** google.protobuf.Timestamp's init shape, as timestampFromDate computes it. */
function timestampInit(date: Date | undefined): MessageInitShape<typeof TimestampSchema> | undefined {
  if (date === undefined) return undefined;
  const ms = date.getTime();
  const seconds = Math.floor(ms / 1000);
  return { seconds: BigInt(seconds), nanos: (ms - seconds * 1000) * 1_000_000 };
}

const algorithms: Partial<Record<PasswordAlgorithm, StoredAlgorithm>> = {
  [PasswordAlgorithm.ARGON2ID]: "argon2id",
  [PasswordAlgorithm.ARGON2I]: "argon2i",
  [PasswordAlgorithm.BCRYPT]: "bcrypt",
  [PasswordAlgorithm.SHA256]: "sha256",
  [PasswordAlgorithm.SHA1]: "sha1",
  [PasswordAlgorithm.MD5]: "md5",
};

export function digestFromProto(digest: PasswordDigest, field: string): PasswordCredential {
  const algorithm = algorithms[digest.algorithm];
  if (algorithm === undefined) throw invalidField(`${field}.algorithm`, "is required", "INVALID_PASSWORD_DIGEST");
  const saltPosition =
    digest.saltPosition === SaltPosition.PREFIX
      ? "prefix"
      : digest.saltPosition === SaltPosition.SUFFIX
        ? "suffix"
        : undefined;
  return {
    kind: "digest",
    digest: { algorithm, encodedDigest: digest.encodedDigest, salt: digest.salt, saltPosition },
  };
}

export function credentialFromProto(
  credential:
    | { case: "password"; value: string }
    | { case: "passwordDigest"; value: PasswordDigest }
    | { case: undefined; value?: undefined },
): PasswordCredential | undefined {
  if (credential.case === "password") return { kind: "password", password: credential.value };
  if (credential.case === "passwordDigest") return digestFromProto(credential.value, "password_digest");
  return undefined;
}

/** A request path as its protobuf-es field name (`primary_email` → `primaryEmail`). */
type MessageField<P extends string> = P extends `${infer Head}_${infer Tail}`
  ? `${Head}${Capitalize<MessageField<Tail>>}`
  : P;

const messageField = (path: string) => path.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** The user fields of a CreateUserRequest or a User message. */
export type CreateUserFields = {
  [P in UserFieldPath as MessageField<P>]: UserFieldsInput[(typeof userFieldPaths)[P]];
} & {
  profile?: UserProfile;
  customData?: JsonObject;
};

export function userFieldsFromProto(source: CreateUserFields): UserUpdateInput {
  const fields = Object.fromEntries(
    Object.entries(userFieldPaths).map(([path, field]) => [
      field,
      source[messageField(path) as keyof CreateUserFields],
    ]),
  ) as unknown as UserFieldsInput;
  return { ...fields, profile: profileFromProto(source.profile), customData: (source.customData ?? {}) as JsonRecord };
}

export function roleToProto(role: RoleRecord): Role {
  return create(RoleSchema, {
    id: role.id,
    name: role.name,
    description: role.description,
    permissions: role.permissions,
    createTime: optionalTimestamp(role.createTime),
    updateTime: optionalTimestamp(role.updateTime),
  });
}

/** Caller ids are `key:<id>`, `service:<name>` or `user:<id>`; background work acts as `system`. */
export function actorToProto(actor: string) {
  const [prefix, ...rest] = actor.split(":");
  const id = rest.join(":");
  const types: Record<string, UserLogActorType> = {
    key: UserLogActorType.API_KEY,
    service: UserLogActorType.SERVICE,
    user: UserLogActorType.ACCESS_TOKEN,
  };
  const type = prefix === undefined ? undefined : types[prefix];
  if (type === undefined) return create(UserLogActorSchema, { type: UserLogActorType.SYSTEM, id: actor });
  return create(UserLogActorSchema, { type, id });
}

export function userLogToProto(log: UserLogRecord): UserLog {
  return create(UserLogSchema, {
    id: log.id,
    userId: log.userId,
    event: log.eventType,
    actor: actorToProto(log.actor),
    createTime: optionalTimestamp(log.createTime),
    result: log.result,
    payload: log.payload as JsonObject,
  });
}
