import type { DescService } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { Health, ServerReflection, ServerReflectionV1alpha } from "@roster/client";
import { createApiKeyMatcher, type ApiKey } from "./api-keys.js";
import type { AuthFailures, CredentialKind } from "./auth-failures.js";
import { callerKey, recheckKey, type Caller, type CredentialRefusal } from "./caller.js";
import { clientAddressKey } from "./client-address.js";
import { statusError } from "./error-mapping.js";
import type { CallGuard, CallGuardInput } from "./grpc-server.js";

export interface AuthGuardOptions {
  /** Management keys: granted `managementScopes`. */
  apiKeys: readonly ApiKey[];
  /** Keys other Roster services present: granted management and service scopes. */
  serviceKeys: readonly ApiKey[];
  managementScopes: readonly string[];
  serviceScopes: readonly string[];
  /** The scope each method needs, by path `/pkg.Service/Method`; `null` means no credential at all. */
  requiredScopes: Readonly<Record<string, string | null>>;
  /** A self-service scope that also admits a method, by path, for the caller's own user (its handler checks the request with `requireOwnUser`). */
  selfScopes?: Readonly<Record<string, string>>;
  /** Verifies an access token minted by token-service; resolves undefined when it is not valid. */
  verifyAccessToken?: (token: string) => Promise<Caller | CredentialRefusal | undefined>;
  /** Hears of every refused credential (counted and logged there). */
  failures?: AuthFailures;
}

const bearerPrefix = /^bearer\s+/i;

/** Probes and tooling must work without a credential: health checks and server reflection. */
const openServices: readonly DescService[] = [Health, ServerReflection, ServerReflectionV1alpha];

/**
 * Authenticates the bearer credential of every call and checks the method's
 * scope. Missing or invalid credential → UNAUTHENTICATED; valid but without
 * the scope → PERMISSION_DENIED. Methods not listed need a credential but no
 * particular scope, so a forgotten entry fails closed. Where a method also
 * has a self-service scope, an access token holding only that one is
 * admitted as `ownUserOnly` its subject, for the handler to check the
 * request's user id with `requireOwnUser`.
 */
export function createAuthGuard(options: AuthGuardOptions): CallGuard {
  const open = new Set(openServices.map((s) => s.typeName));
  const apiKeyCallers = new Map<ApiKey, Caller>();
  for (const key of options.apiKeys) {
    apiKeyCallers.set(key, { kind: "api-key", id: `key:${key.id}`, scopes: new Set(options.managementScopes) });
  }
  const allScopes = new Set([...options.managementScopes, ...options.serviceScopes]);
  for (const key of options.serviceKeys) {
    apiKeyCallers.set(key, { kind: "service-key", id: `service:${key.id}`, scopes: allScopes });
  }
  const keys = createApiKeyMatcher([...options.apiKeys, ...options.serviceKeys]);
  // Defence in depth: a service-only scope counts only on a service key, whatever an access token carries.
  const serviceOnly = new Set(options.serviceScopes);
  const holds = (caller: Caller, scope: string) =>
    caller.scopes.has(scope) && (caller.kind === "service-key" || !serviceOnly.has(scope));

  const refuse = (call: CallGuardInput, credential: CredentialKind, reason: string, message: string) => {
    const origin = {
      address: call.contextValues.get(clientAddressKey),
      method: `${call.service.typeName}/${call.method.name}`,
    };
    options.failures?.record({ credential, reason, origin });
    return unauthenticated(reason, message);
  };

  const authorize = (
    call: CallGuardInput,
    credentialCaller: Caller | CredentialRefusal | undefined,
    scope: string | undefined,
    credential: CredentialKind,
  ): void => {
    if (credentialCaller === undefined)
      throw refuse(call, credential, "INVALID_CREDENTIAL", "the credential is not valid");
    if ("refused" in credentialCaller)
      throw refuse(call, credential, credentialCaller.refused, credentialCaller.message);
    let caller = credentialCaller;
    if (scope !== undefined && !holds(caller, scope)) {
      const self = options.selfScopes?.[`/${call.service.typeName}/${call.method.name}`];
      if (self === undefined || caller.subject === undefined || !holds(caller, self)) {
        throw statusError(Code.PermissionDenied, "INSUFFICIENT_SCOPE", `this call needs the scope ${scope}`, [], {
          scope,
        });
      }
      caller = { ...caller, ownUserOnly: caller.subject };
    }
    call.contextValues.set(callerKey, caller);
    const refresh = caller.refresh;
    if (refresh !== undefined)
      call.contextValues.set(recheckKey, async () => authorize(call, await refresh(), scope, credential));
  };

  return (call) => {
    if (open.has(call.service.typeName)) return;
    const required = options.requiredScopes[`/${call.service.typeName}/${call.method.name}`];
    if (required === null) return;
    const header = call.requestHeader.get("authorization");
    if (header === null || !bearerPrefix.test(header)) {
      throw refuse(
        call,
        "none",
        "MISSING_CREDENTIAL",
        "this call needs a bearer credential in the authorization header",
      );
    }
    const credential = header.replace(bearerPrefix, "").trim();
    const key = keys.match(credential);
    if (key !== undefined) return authorize(call, apiKeyCallers.get(key), required, "api_key");
    // Only a JWT has three dot-separated parts; anything else was meant as an API key.
    const kind: CredentialKind = credential.split(".").length === 3 ? "access_token" : "api_key";
    if (options.verifyAccessToken === undefined || kind === "api_key")
      return authorize(call, undefined, required, kind);
    return options.verifyAccessToken(credential).then((caller) => authorize(call, caller, required, kind));
  };
}

function unauthenticated(reason: string, message: string) {
  return statusError(Code.Unauthenticated, reason, message);
}
