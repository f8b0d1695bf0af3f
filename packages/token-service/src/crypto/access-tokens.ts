import { randomUUID } from "node:crypto";
import { errors, jwtVerify, SignJWT } from "jose";
import { accessTokenAlgorithm, accessTokenType, grantOfAccessToken, tokenEpochClaim } from "@roster/runtime";
import type { KeyRing } from "./signing-keys.js";

/** What an access token says, once its signature and claims have been checked. */
export interface AccessTokenClaims {
  sub: string;
  scopes: string[];
  /** The PAT the token was minted from (RFC 9068 `client_id`). */
  clientId: string;
  /** The user's token epoch at minting; a suspension since then revokes the token. */
  tokenEpoch: number;
  jti: string;
  iss: string;
  aud: string;
  iat: number;
  exp: number;
  nbf: number;
}

/** What an access token is minted for. */
export interface AccessTokenRequest {
  userId: string;
  scopes: readonly string[];
  patId: string;
  tokenEpoch: number;
  /** The token expires no later than this (its PAT's expiry), even when the TTL reaches further. */
  notAfter?: Date;
}

export interface AccessTokens {
  mint(request: AccessTokenRequest): Promise<{ token: string; claims: AccessTokenClaims }>;
  /** The token's claims, or undefined when it is not a valid access token of ours (any reason). */
  verify(token: string): Promise<AccessTokenClaims | undefined>;
}

/** Mints and checks the short-lived JWT access tokens (RFC 9068 profile, `accessTokenAlgorithm`). */
export function createAccessTokens(options: { keyRing: KeyRing; issuer: string; audience: string; ttlSeconds: number }): AccessTokens {
  const { keyRing, issuer, audience } = options;
  return {
    async mint({ userId, scopes, patId, tokenEpoch, notAfter }) {
      const key = await keyRing.active();
      const iat = Math.floor(Date.now() / 1000);
      const ttlExp = iat + options.ttlSeconds;
      const claims: AccessTokenClaims = {
        sub: userId,
        scopes: [...scopes],
        clientId: patId,
        tokenEpoch,
        jti: randomUUID(),
        iss: issuer,
        aud: audience,
        iat,
        // Rounded down: never a moment past the PAT's expiry.
        exp: notAfter === undefined ? ttlExp : Math.min(ttlExp, Math.floor(notAfter.getTime() / 1000)),
        nbf: 0,
      };
      const token = await new SignJWT({ scope: claims.scopes.join(" "), client_id: patId, [tokenEpochClaim]: tokenEpoch })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: accessTokenType })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(userId)
        .setJti(claims.jti)
        .setIssuedAt(iat)
        .setExpirationTime(claims.exp)
        .sign(key.privateKey);
      return { token, claims };
    },
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, keyRing.getKey, {
          issuer,
          audience,
          algorithms: [accessTokenAlgorithm],
          typ: accessTokenType,
          requiredClaims: ["exp", "iat", "sub", "jti"],
        });
        const grant = grantOfAccessToken(payload);
        if (grant === undefined) return undefined;
        return {
          sub: grant.subject,
          scopes: [...grant.scopes],
          clientId: typeof payload.client_id === "string" ? payload.client_id : "",
          tokenEpoch: grant.tokenEpoch,
          jti: String(payload.jti),
          iss: issuer,
          aud: audience,
          iat: Number(payload.iat),
          exp: Number(payload.exp),
          nbf: typeof payload.nbf === "number" ? payload.nbf : 0,
        };
      } catch (err) {
        // Storage failing while keys are looked up is an outage, not a verdict on the token.
        if (err instanceof errors.JOSEError) return undefined;
        throw err;
      }
    },
  };
}
