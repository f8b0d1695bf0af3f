import { invalidArgument, type FieldViolation } from "@roster/runtime/domain-error";

const maxScopes = 50;
const maxScopeLength = 128;
/** RFC 6749 §3.3 scope-token: printable ASCII without space, `"` or `\`. */
const scopeToken = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** Checks a list of scope strings and returns it de-duplicated and sorted; throws INVALID_ARGUMENT naming each bad entry. */
export function validateScopes(field: string, scopes: readonly string[]): string[] {
  const violations: FieldViolation[] = [];
  if (scopes.length > maxScopes) violations.push({ field, description: `at most ${maxScopes} scopes` });
  scopes.forEach((scope, index) => {
    if (scope.length === 0 || scope.length > maxScopeLength) {
      violations.push({ field: `${field}[${index}]`, description: `must be 1–${maxScopeLength} characters` });
    } else if (!scopeToken.test(scope)) {
      violations.push({ field: `${field}[${index}]`, description: "must be printable ASCII without spaces, quotes or backslashes" });
    }
  });
  if (violations.length > 0) throw invalidArgument(violations);
  return [...new Set(scopes)].sort();
}

/**
 * The scopes an exchange grants: requested ∩ the PAT's ∩ the user's
 * permissions, sorted. An empty request asks for everything the PAT allows;
 * a PAT without scopes allows every permission the user has.
 */
export function grantedScopes(requested: readonly string[], patScopes: readonly string[], permissions: readonly string[]): string[] {
  let granted = new Set(permissions);
  if (patScopes.length > 0) granted = new Set(patScopes.filter((s) => granted.has(s)));
  if (requested.length > 0) granted = new Set(requested.filter((s) => granted.has(s)));
  return [...granted].sort();
}
