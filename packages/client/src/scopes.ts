import type { DescService } from "@bufbuild/protobuf";
import { UserService } from "./gen/roster/user/v1/user_service_pb.js";
import { RoleService } from "./gen/roster/user/v1/role_service_pb.js";
import { TokenService } from "./gen/roster/token/v1/token_service_pb.js";

// Administrator powers: every `roster:*` scope below except `roster:tokens:self`
// reaches other users' data or the deployment itself. Grant them to operators
// and back-office services, never to end users.

/** Read users and their identities. Administrator power. */
export const scopeUsersRead = "roster:users:read";
/** Create, change and delete users; verify passwords. Administrator power. */
export const scopeUsersWrite = "roster:users:write";
/** Read roles, role assignments and effective permissions. Administrator power. */
export const scopeRolesRead = "roster:roles:read";
/** Create, change and delete roles; assign them to users. Administrator power. */
export const scopeRolesWrite = "roster:roles:write";
/** Read and watch user logs. Administrator power. */
export const scopeLogsRead = "roster:logs:read";
/** Append user logs. Service-only: never granted by a role or carried by a personal access token. */
export const scopeLogsWrite = "roster:logs:write";
/** Follow the user-access change feed, and publish token changes on it. Service-only: never granted by a role or carried by a personal access token. */
export const scopeAccessWatch = "roster:access:watch";
/** Read any user's personal access tokens, introspect tokens, read the JWKS. Administrator power. */
export const scopeTokensRead = "roster:tokens:read";
/** Create, change and delete any user's personal access tokens. Administrator power. */
export const scopeTokensWrite = "roster:tokens:write";
/** Create, list, change and delete the caller's own personal access tokens only. Self-service. */
export const scopeTokensSelf = "roster:tokens:self";
/** Rotate the token signing keys. Administrator power. */
export const scopeKeysWrite = "roster:keys:write";

/** Scopes a management credential (an API key) is granted. */
export const managementScopes: readonly string[] = Object.freeze([
  scopeUsersRead,
  scopeUsersWrite,
  scopeRolesRead,
  scopeRolesWrite,
  scopeLogsRead,
  scopeTokensRead,
  scopeTokensWrite,
  scopeKeysWrite,
]);

/**
 * Service-only scopes: held by service credentials (Roster services calling
 * each other) on top of the management ones, and by nothing else. No role
 * permission, personal access token or access token may carry one.
 */
export const serviceScopes: readonly string[] = Object.freeze([scopeLogsWrite, scopeAccessWatch]);

/** Scopes that act only on the caller's own user; meant for end users' roles. */
export const selfServiceScopes: readonly string[] = Object.freeze([scopeTokensSelf]);

/** The most characters a scope string may have. */
export const maxScopeLength = 128;

/**
 * The one scope grammar, for role permissions (which are also the
 * application's own permissions, such as `orders:read`) and the scopes of
 * personal access tokens alike: 1–128 characters of lower-case letters,
 * digits and `._:-`.
 */
const scopePattern = /^[a-z0-9._:-]{1,128}$/;

const serviceOnly = new Set(serviceScopes);

/** Whether a role permission or a personal access token may hold `scope`: it follows the grammar and is not service-only. */
export function isGrantableScope(scope: string): boolean {
  return scopePattern.test(scope) && !serviceOnly.has(scope);
}

/** One refused entry (or the list itself) of a scope list, in google.rpc.BadRequest terms. */
export interface ScopeViolation {
  field: string;
  description: string;
}

/** A scope list that passed (de-duplicated and sorted), or why it did not, with a stable reason. */
export type ScopeCheck = { ok: true; scopes: string[] } | { ok: false; reason: string; violations: ScopeViolation[] };

/**
 * Checks the scopes a role or a personal access token would hold: at most
 * `max` entries, each in the scope grammar (else `malformedReason`, default
 * INVALID_SCOPE) and not service-only (else SCOPE_NOT_GRANTABLE). Every bad
 * entry is named as `field[index]`; the reason is the first violation's.
 */
export function checkScopes(
  field: string,
  scopes: readonly string[],
  options: { max: number; malformedReason?: string },
): ScopeCheck {
  const violations: (ScopeViolation & { reason: string })[] = [];
  if (scopes.length > options.max)
    violations.push({ field, description: `must have at most ${options.max} entries`, reason: "INVALID_ARGUMENT" });
  scopes.forEach((scope, index) => {
    if (!scopePattern.test(scope)) {
      violations.push({
        field: `${field}[${index}]`,
        description: `must be 1–${maxScopeLength} characters of lower-case letters, digits and ._:-`,
        reason: options.malformedReason ?? "INVALID_SCOPE",
      });
    } else if (serviceOnly.has(scope)) {
      violations.push({
        field: `${field}[${index}]`,
        description: `${scope} is service-only and cannot be granted`,
        reason: "SCOPE_NOT_GRANTABLE",
      });
    }
  });
  const [first] = violations;
  if (first === undefined) return { ok: true, scopes: [...new Set(scopes)].sort() };
  return {
    ok: false,
    reason: first.reason,
    violations: violations.map(({ field: f, description }) => ({ field: f, description })),
  };
}

/** The scope of every method of a service, keyed by its local name; the compiler checks none is missing. */
type ScopeTable<S extends DescService> = { readonly [M in keyof S["method"]]: string | null };

const userServiceScopes: ScopeTable<typeof UserService> = {
  createUser: scopeUsersWrite,
  importUsers: scopeUsersWrite,
  getUser: scopeUsersRead,
  getUserByIdentifier: scopeUsersRead,
  searchUsers: scopeUsersRead,
  updateUser: scopeUsersWrite,
  updateUserProfile: scopeUsersWrite,
  updateUserCustomData: scopeUsersWrite,
  deleteUser: scopeUsersWrite,
  suspendUser: scopeUsersWrite,
  unsuspendUser: scopeUsersWrite,
  setPassword: scopeUsersWrite,
  verifyPassword: scopeUsersWrite,
  createPasswordResetCode: scopeUsersWrite,
  consumePasswordResetCode: scopeUsersWrite,
  unlockUser: scopeUsersWrite,
  listIdentities: scopeUsersRead,
  linkIdentity: scopeUsersWrite,
  unlinkIdentity: scopeUsersWrite,
  listUserLogs: scopeLogsRead,
  appendUserLog: scopeLogsWrite,
  appendUserLogs: scopeLogsWrite,
  watchUserLogs: scopeLogsRead,
};

const roleServiceScopes: ScopeTable<typeof RoleService> = {
  createRole: scopeRolesWrite,
  getRole: scopeRolesRead,
  listRoles: scopeRolesRead,
  updateRole: scopeRolesWrite,
  deleteRole: scopeRolesWrite,
  assignUserRoles: scopeRolesWrite,
  removeUserRoles: scopeRolesWrite,
  replaceUserRoles: scopeRolesWrite,
  listUserRoles: scopeRolesRead,
  listRoleUsers: scopeUsersRead,
  getUserPermissions: scopeRolesRead,
  getUserAccess: scopeUsersRead,
  batchGetUserAccess: scopeUsersRead,
  watchUserAccessChanges: scopeAccessWatch,
  acknowledgeUserAccessChanges: scopeAccessWatch,
  publishUserTokensChanged: scopeAccessWatch,
  listUserAccess: scopeAccessWatch,
};

const tokenServiceScopes: ScopeTable<typeof TokenService> = {
  createPersonalAccessToken: scopeTokensWrite,
  listPersonalAccessTokens: scopeTokensRead,
  updatePersonalAccessToken: scopeTokensWrite,
  deletePersonalAccessToken: scopeTokensWrite,
  deleteUserPersonalAccessTokens: scopeTokensWrite,
  // The personal access token in the request is the credential.
  exchangePersonalAccessToken: null,
  introspectToken: scopeTokensRead,
  getJwks: scopeTokensRead,
  rotateSigningKeys: scopeKeysWrite,
};

/** The methods a self-service scope also opens, for calls about the caller's own user only. */
type SelfScopeTable<S extends DescService> = { readonly [M in keyof S["method"]]?: string };

const tokenServiceSelfScopes: SelfScopeTable<typeof TokenService> = {
  createPersonalAccessToken: scopeTokensSelf,
  listPersonalAccessTokens: scopeTokensSelf,
  updatePersonalAccessToken: scopeTokensSelf,
  deletePersonalAccessToken: scopeTokensSelf,
};

function byPath<T>(service: DescService, table: Readonly<Record<string, T | undefined>>): [string, T][] {
  return service.methods.flatMap((m): [string, T][] => {
    const entry = table[m.localName];
    return entry === undefined ? [] : [[`/${service.typeName}/${m.name}`, entry]];
  });
}

/**
 * The scope each Roster method requires, by path `/pkg.Service/Method`, exactly
 * as documented in the contract; `null` means the call needs no credential.
 */
export const requiredScopes: Readonly<Record<string, string | null>> = Object.freeze(
  Object.fromEntries([
    ...byPath(UserService, userServiceScopes),
    ...byPath(RoleService, roleServiceScopes),
    ...byPath(TokenService, tokenServiceScopes),
  ]),
);

/**
 * The self-service scope that also admits a method, by path, when the
 * request names the caller's own user (the handler checks that): a caller
 * holding only this scope gets PERMISSION_DENIED `NOT_OWN_RESOURCE` for any
 * other user id. Exactly as documented in the contract.
 */
export const selfScopes: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(byPath(TokenService, tokenServiceSelfScopes)),
);
