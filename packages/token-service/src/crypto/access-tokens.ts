import { randomUUID, type KeyObject } from "node:crypto";
import { accessTokenType, createAccessTokenVerifier, tokenEpochClaim } from "@roster/client/access-tokens";
import { ed25519Signer, type Ed25519Sign } from "./ed25519-signer.js";
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

const base64url = (text: string) => Buffer.from(text).toString("base64url");

/** What each key signs with: its encoded protected header and dot (the same for every token it signs), and its signer. */
const signers = new WeakMap<KeyObject, { header: string; sign: Ed25519Sign }>();

function signerOf(key: { alg: string; kid: string; privateKey: KeyObject }) {
  let signer = signers.get(key.privateKey);
  if (signer === undefined) {
    signer = {
      header: `${base64url(JSON.stringify({ alg: key.alg, kid: key.kid, typ: accessTokenType }))}.`,
      sign: ed25519Signer(key.privateKey),
    };
    signers.set(key.privateKey, signer);
  }
  return signer;
}

/**
 * A compact JWS (RFC 7515) signed with Ed25519 directly (see ed25519Signer): the
 * same bytes jose's SignJWT produces for these claims (Ed25519 signatures
 * are deterministic), without its per-call key checks and promise chain.
 * The claims are written in a fixed order, every string through
 * JSON.stringify (so any character is escaped as JSON requires).
 */
function signJwt(
  key: { alg: string; kid: string; privateKey: KeyObject },
  claims: AccessTokenClaims,
  issuerAndAudience: string,
): string {
  const payload =
    `{"scope":${JSON.stringify(claims.scopes.join(" "))},"client_id":${JSON.stringify(claims.clientId)},` +
    `"${tokenEpochClaim}":${JSON.stringify(claims.tokenEpoch)},${issuerAndAudience},"sub":${JSON.stringify(claims.sub)},` +
    `"jti":${JSON.stringify(claims.jti)},"iat":${JSON.stringify(claims.iat)},"exp":${JSON.stringify(claims.exp)}}`;
  const { header, sign } = signerOf(key);
  const signingInput = header + base64url(payload);
  return `${signingInput}.${sign(Buffer.from(signingInput)).toString("base64url")}`;
}

/** Mints and checks the short-lived JWT access tokens (RFC 9068 profile, `accessTokenAlgorithm`). */
export function createAccessTokens(options: {
  keyRing: KeyRing;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}): AccessTokens {
  const { keyRing, issuer, audience } = options;
  const issuerAndAudience = `"iss":${JSON.stringify(issuer)},"aud":${JSON.stringify(audience)}`;
  // The verifier resource servers use, over the key ring itself; a storage failure while keys are looked up rejects (an outage, not a verdict).
  const verifyToken = createAccessTokenVerifier({ keys: keyRing.getKey, issuer, audience });
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
      const token = signJwt(key, claims, issuerAndAudience);
      return { token, claims };
    },
    async verify(token) {
      const verified = await verifyToken(token);
      if (verified === undefined) return undefined;
      const { subject, scopes, clientId, tokenEpoch, tokenId, issuedAt, notBefore, expiresAt } = verified;
      return {
        sub: subject,
        scopes,
        clientId,
        tokenEpoch,
        jti: tokenId,
        iss: issuer,
        aud: audience,
        iat: issuedAt,
        exp: expiresAt,
        nbf: notBefore,
      };
    },
  };
}
