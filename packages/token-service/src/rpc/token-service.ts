import type { ServiceImpl } from "@connectrpc/connect";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { TokenService } from "@roster/client";
import type { KeyRing } from "../crypto/signing-keys.js";
import type { PatManagement } from "../domain/pats.js";
import type { ExchangeAndIntrospection } from "../domain/exchange-and-introspection.js";
import { optionalDate, originOf, requireOwnUser } from "@roster/runtime";
import { introspectionMessage, jwkMessage, patMessage } from "./convert.js";

/**
 * TokenService over the domain modules: translate, call, shape the answer.
 * The PAT management methods a self-service scope admits first check that
 * the request's user id is the caller's own (`requireOwnUser`).
 */
export function createTokenServiceImpl(deps: {
  pats: PatManagement;
  exchangeAndIntrospection: ExchangeAndIntrospection;
  keyRing: KeyRing;
}): ServiceImpl<typeof TokenService> {
  const { pats, exchangeAndIntrospection, keyRing } = deps;
  const jwks = async () => (await keyRing.published()).map(jwkMessage);
  return {
    async createPersonalAccessToken(req, ctx) {
      requireOwnUser(ctx, req.userId, "user_id");
      const { record, secret } = await pats.create({
        userId: req.userId,
        name: req.name,
        expireTime: optionalDate(req.expireTime, "expire_time"),
        scopes: req.scopes,
      });
      return { personalAccessToken: patMessage(record), secret };
    },
    async listPersonalAccessTokens(req, ctx) {
      requireOwnUser(ctx, req.userId, "user_id");
      const page = await pats.list({ userId: req.userId, pageSize: req.pageSize, pageToken: req.pageToken });
      return {
        personalAccessTokens: page.records.map(patMessage),
        nextPageToken: page.nextPageToken,
        totalSize: page.totalSize,
      };
    },
    async updatePersonalAccessToken(req, ctx) {
      const token = req.personalAccessToken;
      requireOwnUser(ctx, token?.userId ?? "", "personal_access_token.user_id");
      const record = await pats.update({
        userId: token?.userId ?? "",
        id: token?.id ?? "",
        paths: req.updateMask?.paths ?? [],
        name: token?.name ?? "",
        expireTime: optionalDate(token?.expireTime, "personal_access_token.expire_time"),
      });
      return { personalAccessToken: patMessage(record) };
    },
    async deletePersonalAccessToken(req, ctx) {
      requireOwnUser(ctx, req.userId, "user_id");
      await pats.delete({ userId: req.userId, id: req.tokenId });
      return {};
    },
    async deleteUserPersonalAccessTokens(req) {
      return { deletedCount: await pats.deleteAllForUser({ userId: req.userId }) };
    },
    async exchangePersonalAccessToken(req, ctx) {
      const result = await exchangeAndIntrospection.exchange(
        { secret: req.personalAccessToken, scopes: req.scopes },
        originOf(ctx),
      );
      return {
        accessToken: result.accessToken,
        tokenType: "Bearer",
        expireTime: timestampFromDate(result.expireTime),
        scopes: result.scopes,
      };
    },
    async introspectToken(req, ctx) {
      return introspectionMessage(await exchangeAndIntrospection.introspect({ token: req.token }, originOf(ctx)));
    },
    async getJwks() {
      return { keys: await jwks() };
    },
    async rotateSigningKeys() {
      const active = await keyRing.rotate();
      return { activeKeyId: active.kid, keys: await jwks() };
    },
  };
}
