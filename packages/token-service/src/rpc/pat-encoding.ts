import { create, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { CreatePersonalAccessTokenResponseSchema, PersonalAccessTokenSchema } from "@roster/client";
import { hasUnknown, isPlainTime, lengthDelimited, ProtoWriter } from "@roster/runtime/proto-writer";

type ResponseInit = MessageInitShape<typeof CreatePersonalAccessTokenResponseSchema>;
type PatInit = MessageInitShape<typeof PersonalAccessTokenSchema>;

const timeFields = [
  [4, "createTime"],
  [5, "expireTime"],
  [6, "lastUseTime"],
] as const;

/**
 * CreatePersonalAccessTokenResponse as protobuf binary, byte for byte what protobuf-es's
 * `toBinary(create(…))` gives, without its reflection. A token this does not write itself (times
 * before 1970, unknown fields) is written by protobuf-es and embedded, which gives the same bytes.
 */
export function encodeCreatePersonalAccessTokenResponse(value: unknown): Uint8Array {
  const response = value as ResponseInit;
  if (hasUnknown(response))
    return toBinary(CreatePersonalAccessTokenResponseSchema, create(CreatePersonalAccessTokenResponseSchema, response));
  const out = new ProtoWriter();
  const token = response.personalAccessToken;
  if (token !== undefined) out.message(1, PersonalAccessTokenSchema, token, isPlainPat, writePlainPat);
  if (response.secret) out.tag(2, lengthDelimited).string(response.secret);
  return out.finish();
}

function isPlainPat(token: PatInit): boolean {
  return !hasUnknown(token) && timeFields.every(([, key]) => isPlainTime(token[key]));
}

/** The fields in field-number order, each only when set, as protobuf-es writes them. */
function writePlainPat(out: ProtoWriter, token: PatInit): void {
  if (token.id) out.tag(1, lengthDelimited).string(token.id);
  if (token.userId) out.tag(2, lengthDelimited).string(token.userId);
  if (token.name) out.tag(3, lengthDelimited).string(token.name);
  for (const [no, key] of timeFields) {
    const time = token[key];
    if (time !== undefined) out.timestamp(no, time);
  }
  for (const scope of token.scopes ?? []) out.tag(7, lengthDelimited).string(scope);
  if (token.hint) out.tag(8, lengthDelimited).string(token.hint);
}
