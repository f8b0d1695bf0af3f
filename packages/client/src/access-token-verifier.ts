import { createHash } from "node:crypto";
import {
  createRemoteJWKSet,
  customFetch,
  errors,
  jwtVerify,
  type JWTHeaderParameters,
  type JWTPayload,
  type JWTVerifyGetKey,
} from "jose";
import { LRUCache } from "lru-cache";
import type { ClientTls } from "./client-tls.js";
import { tlsFetch } from "./tls-fetch.js";

/**
 * The one algorithm token-service signs access tokens with (Ed25519 keys), and
 * so the only one a verifier accepts: anything else (`none`, HMAC, RSA, ECDSA)
 * is refused before a key is looked up.
 */
export const accessTokenAlgorithm = "EdDSA";
/** The `typ` header of access tokens (RFC 9068), so no other JWT signed with the same keys passes as one. */
export const accessTokenType = "at+jwt";
/** The JWT claim carrying the subject's token epoch at minting. */
export const tokenEpochClaim = "token_epoch";

/** An access token whose signature and claims have been verified. */
export interface VerifiedAccessToken {
  /** The user id (`sub`). */
  subject: string;
  /** The scopes granted at minting (`scope`). */
  scopes: string[];
  /** The PAT the token was minted from (`client_id`); "" when absent. */
  clientId: string;
  /** The token's id (`jti`). */
  tokenId: string;
  /** `iat`, `nbf` (0 when absent) and `exp`, in seconds since the Unix epoch. */
  issuedAt: number;
  notBefore: number;
  expiresAt: number;
  /** The subject's token epoch at minting; 0 when the token carries none. */
  tokenEpoch: number;
}

interface ExpectedClaims {
  /** The `iss` every token must carry (`ROSTER_TOKEN_ISSUER`, `roster` by default). */
  issuer: string;
  /** The `aud` every token must carry (`ROSTER_TOKEN_AUDIENCE`, `roster` by default). */
  audience: string;
}

export type AccessTokenVerifierOptions = ExpectedClaims &
  (
    | {
        /** token-service's `/.well-known/jwks.json`; cached, refetched on an unknown `kid`. */
        jwksUrl: string | URL;
        /** How an https:// `jwksUrl` is verified, and the client certificate it is shown. */
        jwksTls?: ClientTls;
      }
    | { /** Resolves the key of a token's header, for a verifier that holds the keys itself. */ keys: JWTVerifyGetKey }
  );

export interface VerifiedTokenCache {
  /** How many verified tokens are remembered (see createVerifiedTokens); 10,000 by default, 0 for none. */
  size?: number;
}

/** Resolves what a token grants, or undefined for any token that is not a valid access token. */
export type AccessTokenVerifier = (token: string) => Promise<VerifiedAccessToken | undefined>;

/** The keys could not be fetched, so no verdict on the token is possible: retry later, never treat it as valid. */
export class SigningKeysUnavailableError extends Error {
  override readonly name = "SigningKeysUnavailableError";
  readonly reason = "SIGNING_KEYS_UNAVAILABLE";
}

/** True for a {@link SigningKeysUnavailableError}, also from another copy of this package. */
export function isSigningKeysUnavailable(err: unknown): err is SigningKeysUnavailableError {
  return err instanceof Error && (err as Partial<SigningKeysUnavailableError>).reason === "SIGNING_KEYS_UNAVAILABLE";
}

/**
 * Verifies Roster's access tokens locally, as every resource server should:
 * signature by `accessTokenAlgorithm` only, `typ`, `iss`, `aud`, `exp` and
 * `nbf` (no clock tolerance), and `iat`, `sub`, `jti` present. A token that
 * fails any check resolves undefined; when the key set cannot be fetched the
 * promise rejects with {@link SigningKeysUnavailableError}. A valid signature
 * proves only what was true at minting: Roster's own services also check the
 * user's current state, and introspection does it for anyone. Verified tokens
 * are remembered (see createVerifiedTokens), so a token used again costs a
 * hash and a key lookup instead of a signature check.
 */
export function createAccessTokenVerifier(
  options: AccessTokenVerifierOptions,
  cache: VerifiedTokenCache = {},
): AccessTokenVerifier {
  const remote = "jwksUrl" in options;
  const keys = remote ? remoteKeys(new URL(options.jwksUrl), options.jwksTls) : options.keys;
  const verified = createVerifiedTokens(cache.size ?? defaultCacheSize);
  return async (token) => {
    try {
      const held = await verified.get(token, keys);
      if (held !== undefined) return held;
      let key: unknown;
      const { payload, protectedHeader } = await jwtVerify(
        token,
        async (header, input) => {
          key = await keys(header, input);
          return key as Awaited<ReturnType<JWTVerifyGetKey>>;
        },
        {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: [accessTokenAlgorithm],
          typ: accessTokenType,
          requiredClaims: ["exp", "iat", "sub", "jti"],
        },
      );
      const grant = verifiedToken(payload);
      if (grant !== undefined) verified.keep(token, { grant, header: protectedHeader, key });
      return grant;
    } catch (err) {
      if (remote && keysUnavailable(err))
        throw new SigningKeysUnavailableError("the token signing keys cannot be fetched; retry later", { cause: err });
      // Any other failure of a local key source (its storage, say) is an outage, not a verdict on the token.
      if (err instanceof errors.JOSEError) return undefined;
      throw err;
    }
  };
}

const defaultCacheSize = 10_000;

interface VerifiedEntry {
  grant: VerifiedAccessToken;
  header: JWTHeaderParameters;
  /** The key the signature was checked with. */
  key: unknown;
}

/**
 * Tokens whose signature and claims passed, by the SHA-256 of the exact token
 * string (a token altered in any character is another entry, verified in
 * full). An entry is used only before its `exp` (and from its `nbf`), as
 * jwtVerify judges them, and only while the token's `kid` still resolves to
 * the very key it was verified with: a key removed from the set, or replaced,
 * ends it. At most `size` entries; the least recently used go first.
 */
function createVerifiedTokens(size: number) {
  // A hit only moves the entry in lru-cache's list: refreshing by Map delete and set instead leaves a deleted
  // entry in the key's hash chain every time, so one token used over and over made each use slower than the last.
  const entries = size === 0 ? undefined : new LRUCache<string, VerifiedEntry>({ max: size });
  const idOf = (token: string) => createHash("sha256").update(token).digest("base64url");
  return {
    async get(token: string, keys: JWTVerifyGetKey): Promise<VerifiedAccessToken | undefined> {
      if (entries === undefined) return undefined;
      const id = idOf(token);
      const held = entries.get(id);
      if (held === undefined) return undefined;
      const now = Math.floor(Date.now() / 1000);
      if (held.grant.expiresAt <= now || held.grant.notBefore > now) {
        entries.delete(id);
        return undefined;
      }
      const [protectedPart = "", payload = "", signature = ""] = token.split(".");
      // Any failure to resolve the key (it left the set, an outage) means verifying afresh, which judges it.
      let key: unknown;
      try {
        key = await keys(held.header, { protected: protectedPart, payload, signature });
      } catch {
        entries.delete(id);
        return undefined;
      }
      if (key !== held.key) {
        entries.delete(id);
        return undefined;
      }
      return held.grant;
    },
    keep(token: string, entry: VerifiedEntry): void {
      entries?.set(idOf(token), entry);
    },
  };
}

function verifiedToken(payload: JWTPayload): VerifiedAccessToken | undefined {
  if (typeof payload.sub !== "string" || payload.sub === "") return undefined;
  if (typeof payload.exp !== "number" || typeof payload.iat !== "number" || typeof payload.jti !== "string")
    return undefined;
  const epoch = payload[tokenEpochClaim] ?? 0;
  if (typeof epoch !== "number" || !Number.isSafeInteger(epoch) || epoch < 0) return undefined;
  const scope = typeof payload.scope === "string" ? payload.scope : "";
  return {
    subject: payload.sub,
    scopes: scope.split(" ").filter((s) => s !== ""),
    clientId: typeof payload.client_id === "string" ? payload.client_id : "",
    tokenId: payload.jti,
    issuedAt: payload.iat,
    notBefore: typeof payload.nbf === "number" ? payload.nbf : 0,
    expiresAt: payload.exp,
    tokenEpoch: epoch,
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
