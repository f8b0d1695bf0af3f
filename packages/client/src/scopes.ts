import type { DescService } from "@bufbuild/protobuf";
import { UserService } from "./gen/roster/user/v1/user_service_pb.js";
import { RoleService } from "./gen/roster/user/v1/role_service_pb.js";
import { TokenService } from "./gen/roster/token/v1/token_service_pb.js";

/** Read users and their identities. */
export const scopeUsersRead = "roster:users:read";
/** Create, change and delete users; verify passwords. */
export const scopeUsersWrite = "roster:users:write";
/** Read roles, role assignments and effective permissions. */
export const scopeRolesRead = "roster:roles:read";
/** Create, change and delete roles; assign them to users. */
export const scopeRolesWrite = "roster:roles:write";
/** Read and watch user logs. */
export const scopeLogsRead = "roster:logs:read";
/** Append user logs: for Roster services only. */
export const scopeLogsWrite = "roster:logs:write";
/** Read personal access tokens, introspect tokens, read the JWKS. */
export const scopeTokensRead = "roster:tokens:read";
/** Create, change and delete personal access tokens. */
export const scopeTokensWrite = "roster:tokens:write";
/** Rotate the token signing keys. */
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

/** Scopes only service credentials (Roster services calling each other) get on top of the management ones. */
export const serviceScopes: readonly string[] = Object.freeze([scopeLogsWrite]);

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

function byPath<S extends DescService>(service: S, table: ScopeTable<S>): [string, string | null][] {
  return service.methods.map((m) => [`/${service.typeName}/${m.name}`, table[m.localName as keyof S["method"]]]);
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
