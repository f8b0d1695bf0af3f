import { Code } from "@connectrpc/connect";
import type { ClientTls } from "@roster/client";
import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import type { Caller } from "./caller.js";
import { statusError } from "./error-mapping.js";
import { tlsFetch } from "./peer-tls.js";

/** The algorithms token-service signs with; anything else (`none` above all) is refused before a key is looked up. */
export const accessTokenAlgorithms: readonly string[] = Object.freeze(["EdDSA", "ES256"]);
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

/** The caller an access token stands for: `user:<sub>` with the token's scopes. */
export function callerOfAccessToken(payload: JWTPayload): Caller | undefined {
  if (typeof payload.sub !== "string" || payload.sub === "") return undefined;
  const scope = typeof payload.scope === "string" ? payload.scope : "";
  return {
    kind: "access-token",
    id: `user:${payload.sub}`,
    subject: payload.sub,
    scopes: new Set(scope.split(" ").filter((s) => s !== "")),
  };
}

/**
 * Verifies access tokens minted by token-service, locally: signature (EdDSA or
 * ES256 only), `typ`, `iss`, `aud`, `exp`. Resolves undefined for any token
 * that is not valid; rejects with UNAVAILABLE `SIGNING_KEYS_UNAVAILABLE` when
 * the keys cannot be fetched, because then the token is not known to be bad.
 */
export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): (token: string) => Promise<Caller | undefined> {
  const keys = "jwksUrl" in options ? remoteKeys(new URL(options.jwksUrl), options.jwksTls) : options.keys;
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: [...accessTokenAlgorithms],
        typ: accessTokenType,
        requiredClaims: ["exp", "iat", "sub", "jti"],
      });
      return callerOfAccessToken(payload);
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
