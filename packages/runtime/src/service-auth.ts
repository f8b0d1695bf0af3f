import { Code } from "@connectrpc/connect";
import { managementScopes, requiredScopes, serviceScopes } from "@roster/client";
import { judgeAccessToken, type AccessTokenGrant, type ResolveSubject, type SubjectState } from "./access-token-subject.js";
import { createAccessTokenVerifier, type AccessTokenVerifierOptions } from "./access-token-verifier.js";
import { createAuthGuard } from "./auth-guard.js";
import type { Caller } from "./caller.js";
import type { CommonConfig } from "./common-config.js";
import { isDomainError } from "./domain-error.js";
import { statusError, toConnectError } from "./error-mapping.js";
import type { CallGuard } from "./grpc-server.js";

/** Where a service finds the public keys of access tokens. */
export type AccessTokenKeys = Omit<AccessTokenVerifierOptions, "issuer" | "audience">;

/**
 * The caller a verified access token stands for, given its subject's state
 * now: `user:<sub>` with the token's scopes ∩ the user's current permissions.
 * A deleted, suspended or since-suspended user → UNAUTHENTICATED with the
 * reason of judgeAccessToken.
 */
export function callerOfAccessToken(grant: AccessTokenGrant, state: SubjectState | undefined): Caller {
  const verdict = judgeAccessToken(grant, state);
  if (!verdict.active) throw statusError(Code.Unauthenticated, verdict.reason, verdict.message);
  return { kind: "access-token", id: `user:${grant.subject}`, subject: grant.subject, scopes: new Set(verdict.scopes) };
}

/** The caller of a verified token now, and again (token expiry included) whenever `refresh` is called. */
async function currentCaller(grant: AccessTokenGrant, resolveSubject: ResolveSubject): Promise<Caller> {
  const state = await resolveSubject(grant.subject).catch((err: unknown) => {
    throw isDomainError(err) ? toConnectError(err, () => undefined) : err;
  });
  const refresh = async () => {
    if (Date.now() >= grant.expiresAt * 1000) throw statusError(Code.Unauthenticated, "INVALID_CREDENTIAL", "the credential is not valid");
    return currentCaller(grant, resolveSubject);
  };
  return { ...callerOfAccessToken(grant, state), refresh };
}

/**
 * The guard every Roster service runs: the configured API and service keys,
 * access tokens from token-service (with this deployment's issuer and
 * audience), and the scope table of the contract. After an access token
 * verifies, `resolveSubject` reads its user's current state on every call,
 * uncached, so a suspension, deletion or role change applies to the next call;
 * when the state cannot be read the call fails (UNAVAILABLE), never granted.
 */
export function createServiceAuthGuard(config: CommonConfig, keys: AccessTokenKeys, resolveSubject: ResolveSubject): CallGuard {
  const verify = createAccessTokenVerifier({ ...keys, issuer: config.tokenIssuer, audience: config.tokenAudience } as AccessTokenVerifierOptions);
  return createAuthGuard({
    apiKeys: config.apiKeys,
    serviceKeys: config.serviceKeys,
    managementScopes,
    serviceScopes,
    requiredScopes,
    verifyAccessToken: async (token) => {
      const grant = await verify(token);
      return grant === undefined ? undefined : currentCaller(grant, resolveSubject);
    },
  });
}
