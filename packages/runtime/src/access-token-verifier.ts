import { Code } from "@connectrpc/connect";
import type { ClientTls } from "@roster/client";
import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import { tokenEpochClaim, type AccessTokenGrant } from "./access-token-subject.js";
import { statusError } from "./error-mapping.js";
import { tlsFetch } from "./peer-tls.js";

/**
 * The one algorithm token-service signs access tokens with (Ed25519 keys), and
 * so the only one any verifier accepts: anything else (`none` above all) is
 * refused before a key is looked up.
 */
export const accessTokenAlgorithm = "EdDSA";
/** The `typ` header of access tokens (RFC 9068), so no other JWT signed with the same keys passes as one. */
export const accessTokenType = "at+jwt";

interface VerifierClaims {
  /** The `iss` every access token must carry. */
  issuer: string;
  /** The `aud` every access token must carry. */
  audience: string;
}

export type AccessTokenVerifierOptions = VerifierClaims &
  (
    | {
        /** token-service's `/.well-known/jwks.json`; cached, refetched on an unknown `kid`. */
        jwksUrl: string;
        /** How an https:// `jwksUrl` is verified, and the client certificate it is shown. */
        jwksTls?: ClientTls;
      }
    | { /** Resolves the key of a token's header, for a verifier that holds the keys itself. */ keys: JWTVerifyGetKey }
  );

/** What a verified token's payload grants; undefined when a claim has the wrong shape. */
export function grantOfAccessToken(payload: JWTPayload): AccessTokenGrant | undefined {
  if (typeof payload.sub !== "string" || payload.sub === "") return undefined;
  const epoch = payload[tokenEpochClaim] ?? 0;
  if (typeof epoch !== "number" || !Number.isSafeInteger(epoch) || epoch < 0) return undefined;
  if (typeof payload.exp !== "number") return undefined;
  const scope = typeof payload.scope === "string" ? payload.scope : "";
  return { subject: payload.sub, scopes: scope.split(" ").filter((s) => s !== ""), tokenEpoch: epoch, expiresAt: payload.exp };
}

/**
 * Verifies access tokens minted by token-service, locally: signature
 * (`accessTokenAlgorithm` only), `typ`, `iss`, `aud`, `exp`. Resolves what the
 * token grants, or undefined for any token that is not valid; rejects with UNAVAILABLE `SIGNING_KEYS_UNAVAILABLE` when
 * the keys cannot be fetched, because then the token is not known to be bad.
 */
export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): (token: string) => Promise<AccessTokenGrant | undefined> {
  const keys = "jwksUrl" in options ? remoteKeys(new URL(options.jwksUrl), options.jwksTls) : options.keys;
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: [accessTokenAlgorithm],
        typ: accessTokenType,
        requiredClaims: ["exp", "iat", "sub", "jti"],
      });
      return grantOfAccessToken(payload);
    } catch (err) {
      if (keysUnavailable(err)) {
        throw statusError(Code.Unavailable, "SIGNING_KEYS_UNAVAILABLE", "the token signing keys cannot be fetched; retry later");
      }
      return undefined;
    }
  };
}

/** The least time between two fetches of the key set. */
const refetchCooldownMs = 1_000;

/**
 * A cached remote key set that also finds a key published moments after the
 * last fetch (a rotation): an unknown `kid` seen during the cooldown waits for
 * it to end and looks once more, so a flood of bogus kids costs at most one
 * fetch a second.
 */
function remoteKeys(url: URL, tls: ClientTls | undefined): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(url, {
    timeoutDuration: 3_000,
    cooldownDuration: refetchCooldownMs,
    cacheMaxAge: 10 * 60_000,
    ...(url.protocol === "https:" && tls !== undefined ? { [customFetch]: tlsFetch(tls) } : {}),
  });
  return async (header, token) => {
    const coolingDown = remote.coolingDown;
    try {
      return await remote(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey) || !coolingDown) throw err;
      await new Promise((resolve) => setTimeout(resolve, refetchCooldownMs));
      return remote(header, token);
    }
  };
}

function keysUnavailable(err: unknown): boolean {
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return true;
  // A non-200 JWKS response is a bare JOSEError; a failed fetch (connection refused, DNS) is not a JOSE error at all.
  return !(err instanceof errors.JOSEError) || err.constructor === errors.JOSEError;
}
