import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { optionalTimestamp } from "@roster/runtime";
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
import type { Introspection } from "../domain/exchange-and-introspection.js";

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
