import type { DescService } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { Health, ServerReflection, ServerReflectionV1alpha } from "@roster/client";
import { matchApiKey, type ApiKey } from "./api-keys.js";
import { callerKey, recheckKey, type Caller } from "./caller.js";
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
  /** Verifies an access token minted by token-service; resolves undefined when it is not valid. */
  verifyAccessToken?: (token: string) => Promise<Caller | undefined>;
}

const bearerPrefix = /^bearer\s+/i;

/** Probes and tooling must work without a credential: health checks and server reflection. */
const openServices: readonly DescService[] = [Health, ServerReflection, ServerReflectionV1alpha];

/**
 * Authenticates the bearer credential of every call and checks the method's
 * scope. Missing or invalid credential → UNAUTHENTICATED; valid but without
 * the scope → PERMISSION_DENIED. Methods not listed need a credential but no
 * particular scope, so a forgotten entry fails closed.
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
  const keys = [...options.apiKeys, ...options.serviceKeys];

  const authorize = (call: CallGuardInput, caller: Caller | undefined, scope: string | undefined): void => {
    if (caller === undefined) throw unauthenticated("INVALID_CREDENTIAL", "the credential is not valid");
    if (scope !== undefined && !caller.scopes.has(scope)) {
      throw statusError(Code.PermissionDenied, "INSUFFICIENT_SCOPE", `this call needs the scope ${scope}`, [], { scope });
    }
    call.contextValues.set(callerKey, caller);
    const refresh = caller.refresh;
    if (refresh !== undefined) call.contextValues.set(recheckKey, async () => authorize(call, await refresh(), scope));
  };

  return (call) => {
    if (open.has(call.service.typeName)) return;
    const required = options.requiredScopes[`/${call.service.typeName}/${call.method.name}`];
    if (required === null) return;
    const header = call.requestHeader.get("authorization");
    if (header === null || !bearerPrefix.test(header)) {
      throw unauthenticated("MISSING_CREDENTIAL", "this call needs a bearer credential in the authorization header");
    }
    const credential = header.replace(bearerPrefix, "").trim();
    const key = matchApiKey(keys, credential);
    if (key !== undefined) return authorize(call, apiKeyCallers.get(key), required);
    if (options.verifyAccessToken === undefined || credential.split(".").length !== 3) {
      return authorize(call, undefined, required);
    }
    return options.verifyAccessToken(credential).then((caller) => authorize(call, caller, required));
  };
}

function unauthenticated(reason: string, message: string) {
  return statusError(Code.Unauthenticated, reason, message);
}
