import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import {
  IntrospectTokenResponseSchema,
  JsonWebKeySchema,
  PersonalAccessTokenSchema,
  type IntrospectTokenResponse,
  type JsonWebKey,
  type PersonalAccessToken,
} from "@roster/client";
import type { PublicJwk } from "../crypto/signing-keys.js";
import type { PatRecord } from "../domain/pat-store.js";
import type { Introspection } from "../domain/token-use.js";

export function optionalDate(timestamp: Timestamp | undefined): Date | undefined {
  return timestamp === undefined ? undefined : timestampDate(timestamp);
}

function optionalTimestamp(date: Date | undefined): Timestamp | undefined {
  return date === undefined ? undefined : timestampFromDate(date);
}

/** A PAT's metadata; the hash never leaves storage. */
export function patMessage(record: PatRecord): PersonalAccessToken {
  return create(PersonalAccessTokenSchema, {
    id: record.id,
    userId: record.userId,
    name: record.name,
    createTime: timestampFromDate(record.createTime),
    expireTime: optionalTimestamp(record.expireTime),
    lastUseTime: optionalTimestamp(record.lastUseTime),
    scopes: record.scopes,
    hint: record.hint,
  });
}

export function jwkMessage(jwk: PublicJwk): JsonWebKey {
  return create(JsonWebKeySchema, { kty: jwk.kty, crv: jwk.crv, x: jwk.x, kid: jwk.kid, alg: jwk.alg, use: jwk.use });
}

export function introspectionMessage(result: Introspection): IntrospectTokenResponse {
  return create(IntrospectTokenResponseSchema, {
    ...result,
    exp: BigInt(result.exp ?? 0),
    iat: BigInt(result.iat ?? 0),
    nbf: BigInt(result.nbf ?? 0),
  });
}
