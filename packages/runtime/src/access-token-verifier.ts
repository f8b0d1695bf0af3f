import { Code } from "@connectrpc/connect";
import {
  createAccessTokenVerifier as createClientVerifier,
  isSigningKeysUnavailable,
  type AccessTokenVerifierOptions,
} from "@roster/client";
import type { AccessTokenGrant } from "./access-token-subject.js";
import { statusError } from "./error-mapping.js";

export type { AccessTokenVerifierOptions };

/**
 * The services' view of @roster/client's access-token verifier, the one
 * implementation every Roster guard and introspection use: what a valid
 * token grants, undefined for any token that is not valid, and UNAVAILABLE
 * `SIGNING_KEYS_UNAVAILABLE` when the keys cannot be fetched, because then
 * the token is not known to be bad.
 */
export function createAccessTokenVerifier(
  options: AccessTokenVerifierOptions,
): (token: string) => Promise<AccessTokenGrant | undefined> {
  const verify = createClientVerifier(options);
  return async (token) => {
    try {
      return await verify(token);
    } catch (err) {
      if (isSigningKeysUnavailable(err)) {
        throw statusError(
          Code.Unavailable,
          "SIGNING_KEYS_UNAVAILABLE",
          "the token signing keys cannot be fetched; retry later",
        );
      }
      throw err;
    }
  };
}
