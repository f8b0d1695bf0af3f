import { create, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { SearchUsersResponseSchema, UserSchema } from "@roster/client";
import { hasUnknown, isPlainTime, lengthDelimited, ProtoWriter, varint } from "@roster/runtime/proto-writer";

type ResponseInit = MessageInitShape<typeof SearchUsersResponseSchema>;
type UserInit = MessageInitShape<typeof UserSchema>;

/**
 * SearchUsersResponse as protobuf binary, byte for byte what protobuf-es's
 * `toBinary(create(…))` gives, without its reflection: a page's users are
 * written straight into one buffer. A user this does not write itself (custom
 * data, identities, profile claims, unusual times, unknown fields) is written
 * by protobuf-es and embedded, which gives the same bytes.
 */
export function encodeSearchUsersResponse(value: unknown): Uint8Array {
  const response = value as ResponseInit;
  const total = response.totalSize ?? 0;
  if (hasUnknown(response) || !Number.isInteger(total) || total < -(2 ** 31) || total >= 2 ** 31)
    return toBinary(SearchUsersResponseSchema, create(SearchUsersResponseSchema, response));
  const out = new ProtoWriter();
  for (const user of response.users ?? []) out.message(1, UserSchema, user, isPlainUser, writePlainUser);
  if (response.nextPageToken) out.tag(2, lengthDelimited).string(response.nextPageToken);
  if (total !== 0) out.tag(3, varint).int32(total);
  if (response.totalSizeExact) out.tag(4, varint).varint(1);
  const scores = response.relevanceScores ?? [];
  if (scores.length > 0) {
    out.tag(5, lengthDelimited).varint(scores.length * 8);
    for (const score of scores) out.double(score);
  }
  return out.finish();
}

const timeFields = [
  [14, "createTime"],
  [15, "updateTime"],
  [16, "lastSignInTime"],
  [17, "lockExpireTime"],
] as const;

/** A user with no profile claims, custom data or identities, its times from 1970 on, nothing unknown. */
function isPlainUser(user: UserInit): boolean {
  return (
    isEmpty(user.profile) &&
    (user.customData === undefined || Object.keys(user.customData).length === 0) &&
    (user.identities === undefined || user.identities.length === 0) &&
    !hasUnknown(user) &&
    timeFields.every(([, key]) => isPlainTime(user[key]))
  );
}

/** The fields in field-number order, each only when set, as protobuf-es writes them. */
function writePlainUser(out: ProtoWriter, user: UserInit): void {
  if (user.id) out.tag(1, lengthDelimited).string(user.id);
  if (user.username) out.tag(2, lengthDelimited).string(user.username);
  if (user.primaryEmail) out.tag(3, lengthDelimited).string(user.primaryEmail);
  if (user.primaryEmailVerified) out.tag(4, varint).varint(1);
  if (user.primaryPhone) out.tag(5, lengthDelimited).string(user.primaryPhone);
  if (user.primaryPhoneVerified) out.tag(6, varint).varint(1);
  if (user.name) out.tag(7, lengthDelimited).string(user.name);
  if (user.avatarUrl) out.tag(8, lengthDelimited).string(user.avatarUrl);
  // An empty message is still set: its tag and a zero length.
  if (user.profile !== undefined) out.tag(9, lengthDelimited).varint(0);
  if (user.customData !== undefined) out.tag(10, lengthDelimited).varint(0);
  if (user.suspended) out.tag(12, varint).varint(1);
  if (user.hasPassword) out.tag(13, varint).varint(1);
  for (const [no, key] of timeFields) {
    const time = user[key];
    if (time !== undefined) out.timestamp(no, time);
  }
}

/** Unset, or a message or JSON object with nothing set. */
function isEmpty(value: object | undefined): boolean {
  if (value === undefined) return true;
  for (const [key, field] of Object.entries(value)) if (key !== "$typeName" && field !== undefined) return false;
  return true;
}
