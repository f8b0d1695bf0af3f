import { managementScopes, requiredScopes, selfScopes, serviceScopes } from "@roster/client";
import { createAccessTokenVerifier, type AccessTokenVerifierOptions } from "./access-token-verifier.js";
import type { AuthFailures } from "./auth-failures.js";
import { createAuthGuard } from "./auth-guard.js";
import type { CommonConfig } from "./common-config.js";
import type { CallGuard } from "./grpc-server.js";

/** Where a service finds the public keys of access tokens. */
export type AccessTokenKeys = Omit<AccessTokenVerifierOptions, "issuer" | "audience">;

/**
 * The guard every Roster service runs: the configured API and service keys,
 * access tokens from token-service (with this deployment's issuer and
 * audience), and the scope table of the contract.
 */
export function createServiceAuthGuard(config: CommonConfig, keys: AccessTokenKeys, failures?: AuthFailures): CallGuard {
  return createAuthGuard({
    apiKeys: config.apiKeys,
    serviceKeys: config.serviceKeys,
    managementScopes,
    serviceScopes,
    requiredScopes,
    selfScopes,
    verifyAccessToken: createAccessTokenVerifier({ ...keys, issuer: config.tokenIssuer, audience: config.tokenAudience } as AccessTokenVerifierOptions),
    failures,
  });
}
