import { managementScopes, requiredScopes, selfScopes, serviceScopes } from "@roster/client";
import {
  judgeAccessToken,
  type AccessTokenGrant,
  type ResolveSubject,
  type SubjectState,
} from "./access-token-subject.js";
import { createAccessTokenVerifier, type AccessTokenVerifierOptions } from "./access-token-verifier.js";
import type { AuthFailures } from "./auth-failures.js";
import { createAuthGuard } from "./auth-guard.js";
import type { Caller, CredentialRefusal } from "./caller.js";
import type { CommonConfig } from "./common-config.js";
import { isDomainError } from "./domain-error.js";
import { toConnectError } from "./error-mapping.js";
import type { CallGuard } from "./grpc-server.js";

/** Where a service finds the public keys of access tokens. */
export type AccessTokenKeys = Omit<AccessTokenVerifierOptions, "issuer" | "audience">;

/**
 * The caller a verified access token stands for, given its subject's state
 * now: `user:<sub>` with the token's scopes ∩ the user's current permissions;
 * or, for a deleted, suspended or since-suspended user, the refusal of
 * judgeAccessToken.
 */
export function callerOfAccessToken(
  grant: AccessTokenGrant,
  state: SubjectState | undefined,
): Caller | CredentialRefusal {
  const verdict = judgeAccessToken(grant, state);
  if (!verdict.active) return { refused: verdict.reason, message: verdict.message };
  return { kind: "access-token", id: `user:${grant.subject}`, subject: grant.subject, scopes: new Set(verdict.scopes) };
}

/** The caller of a verified token now, and again (token expiry included) whenever `refresh` is called. */
async function currentCaller(
  grant: AccessTokenGrant,
  resolveSubject: ResolveSubject,
): Promise<Caller | CredentialRefusal> {
  const state = await resolveSubject(grant.subject).catch((err: unknown) => {
    throw isDomainError(err) ? toConnectError(err, () => undefined) : err;
  });
  const caller = callerOfAccessToken(grant, state);
  if ("refused" in caller) return caller;
  const refresh = async (): Promise<Caller | CredentialRefusal> =>
    Date.now() >= grant.expiresAt * 1000
      ? { refused: "INVALID_CREDENTIAL", message: "the credential is not valid" }
      : currentCaller(grant, resolveSubject);
  return { ...caller, refresh };
}

/**
 * The guard every Roster service runs: the configured API and service keys,
 * access tokens from token-service (with this deployment's issuer and
 * audience), and the scope table of the contract. After an access token
 * verifies, `resolveSubject` reads its user's current state on every call,
 * uncached, so a suspension, deletion or role change applies to the next call;
 * when the state cannot be read the call fails (UNAVAILABLE), never granted.
 */
export function createServiceAuthGuard(
  config: CommonConfig,
  keys: AccessTokenKeys,
  resolveSubject: ResolveSubject,
  failures?: AuthFailures,
): CallGuard {
  const verify = createAccessTokenVerifier({
    ...keys,
    issuer: config.tokenIssuer,
    audience: config.tokenAudience,
  } as AccessTokenVerifierOptions);
  return createAuthGuard({
    apiKeys: config.apiKeys,
    serviceKeys: config.serviceKeys,
    managementScopes,
    serviceScopes,
    requiredScopes,
    selfScopes,
    failures,
    verifyAccessToken: async (token) => {
      const grant = await verify(token);
      return grant === undefined ? undefined : currentCaller(grant, resolveSubject);
    },
  });
}
