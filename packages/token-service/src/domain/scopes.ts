import { checkScopes, isGrantableScope } from "@roster/client/scopes";
import { invalidArgument } from "@roster/runtime/domain-error";

const maxScopes = 50;

/**
 * Checks the scopes of a PAT or of an exchange request in the grammar role
 * permissions use, refusing service-only ones; returns them de-duplicated and
 * sorted. Throws INVALID_ARGUMENT (`INVALID_SCOPE`, `SCOPE_NOT_GRANTABLE`)
 * naming each bad entry.
 */
export function validateScopes(field: string, scopes: readonly string[]): string[] {
  const checked = checkScopes(field, scopes, { max: maxScopes });
  if (!checked.ok) throw invalidArgument(checked.violations, checked.reason);
  return checked.scopes;
}

/**
 * The scopes an exchange grants: requested ∩ the PAT's ∩ the user's
 * grantable permissions, sorted. An empty request asks for everything the PAT
 * allows; a PAT without scopes allows every permission the user has. A
 * service-only or malformed permission (a role stored before such were
 * refused) is never granted.
 */
export function grantedScopes(
  requested: readonly string[],
  patScopes: readonly string[],
  permissions: readonly string[],
): string[] {
  let granted = new Set(permissions.filter(isGrantableScope));
  if (patScopes.length > 0) granted = new Set(patScopes.filter((s) => granted.has(s)));
  if (requested.length > 0) granted = new Set(requested.filter((s) => granted.has(s)));
  return [...granted].sort();
}
