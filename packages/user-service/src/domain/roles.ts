import { randomUUID } from "node:crypto";
import { UserLogEvent } from "@roster/client/contract";
import { checkScopes } from "@roster/client/scopes";
import { failedPrecondition, invalidArgument, invalidField, notFound } from "@roster/runtime/domain-error";
import {
  countedPage,
  decodePageToken,
  encodePageToken,
  invalidPageToken,
  listedBefore,
  maxCountedMatches,
  pageSizeOf,
} from "@roster/runtime/page-token";
import { requireId } from "@roster/runtime/resource-id";
import { pendingLog, type PendingLogMover } from "./pending-logs.js";
import { publishingAccess, type AccessChanged } from "./access-feed.js";
import { roleNameKey, type RoleRecord, type RoleStore, type UserAccess } from "./role-store.js";
import type { UserRecord } from "./user-store.js";

export const maxRolesPerUser = 100;
const maxPermissions = 100;
const namePattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** The writable fields of a role, as a request carries them. */
export interface RoleInput {
  name: string;
  description: string;
  permissions: string[];
}

export interface Page<T> {
  items: T[];
  nextPageToken: string;
  totalSize: number;
}

function checkName(name: string): string {
  if (!namePattern.test(name))
    throw invalidField(
      "role.name",
      "must be 1-64 characters of letters, digits and ._:-, starting with a letter or digit",
    );
  return name;
}

function checkDescription(description: string): string {
  if (description.length > 1024) throw invalidField("role.description", "must be at most 1024 characters");
  return description;
}

/** Validates permissions in the one scope grammar, refusing service-only scopes; stored de-duplicated and sorted. */
export function checkPermissions(permissions: string[]): string[] {
  const checked = checkScopes("role.permissions", permissions, {
    max: maxPermissions,
    malformedReason: "INVALID_PERMISSION",
  });
  if (!checked.ok) throw invalidArgument(checked.violations, checked.reason);
  return checked.scopes;
}

/** Role ids of a request: bounded, each well-formed, de-duplicated. */
function checkRoleIds(ids: string[], allowEmpty: boolean): string[] {
  if ((!allowEmpty && ids.length === 0) || ids.length > maxRolesPerUser) {
    throw invalidField("role_ids", `must have ${allowEmpty ? 0 : 1}-${maxRolesPerUser} entries`);
  }
  ids.forEach((id, i) => requireId(`role_ids[${i}]`, id));
  return [...new Set(ids)];
}

const roleNotFound = (id: string) => notFound("ROLE_NOT_FOUND", `no role with id ${id}`, { role_id: id });
const userNotFound = (id: string) => notFound("USER_NOT_FOUND", "no user with that id", { user_id: id });
const pageCursor = (raw: Record<string, string | number> | undefined, key: string): string | undefined => {
  const value = raw?.[key];
  if (raw !== undefined && typeof value !== "string") {
    throw invalidPageToken();
  }
  return value as string | undefined;
};

/** The most users one BatchGetUserAccess call names. */
export const maxUsersPerAccessBatch = 100;

/** Role-based access control: role CRUD, who holds which role, effective permissions. */
export function createRoles(deps: {
  store: RoleStore;
  /** Moves the log entries a change wrote into users' documents to the log: one user's, or a deleted role's batch of holders'. */
  pendingLogs: Pick<PendingLogMover, "settle">;
  accessChanged?: AccessChanged;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());

  async function create(input: RoleInput): Promise<RoleRecord> {
    const name = checkName(input.name);
    const time = now();
    const role: RoleRecord = {
      id: randomUUID(),
      name,
      description: checkDescription(input.description),
      permissions: checkPermissions(input.permissions),
      createTime: time,
      updateTime: time,
    };
    await deps.store.insert(role);
    return role;
  }

  async function get(id: string): Promise<RoleRecord> {
    const role = await deps.store.findById(requireId("role_id", id));
    if (role === null) throw roleNotFound(id);
    return role;
  }

  async function list(namePrefix: string, pageSize: number, pageToken: string): Promise<Page<RoleRecord>> {
    if (namePrefix.length > 64) throw invalidField("name_prefix", "must be at most 64 characters");
    const limit = pageSizeOf(pageSize);
    const prefixKey = roleNameKey(namePrefix);
    const after = pageCursor(decodePageToken(pageToken, `roles:${prefixKey}`), "k");
    const { roles, total } = await deps.store.list(prefixKey, after, limit + 1);
    return page(roles, limit, total, (last) => encodePageToken({ k: roleNameKey(last.name) }, `roles:${prefixKey}`));
  }

  /** Applies the masked fields; `paths` must be non-empty and name only name, description, permissions. */
  async function update(id: string, input: RoleInput, paths: string[]): Promise<RoleRecord> {
    requireId("role.id", id);
    if (paths.length === 0) throw invalidField("update_mask", "must name at least one path", "INVALID_UPDATE_MASK");
    const set: Partial<Omit<RoleRecord, "id">> = {};
    for (const path of paths) {
      if (path === "name") set.name = checkName(input.name);
      else if (path === "description") set.description = checkDescription(input.description);
      else if (path === "permissions") set.permissions = checkPermissions(input.permissions);
      else
        throw invalidField(
          "update_mask",
          `unknown path "${path}"; allowed: name, description, permissions`,
          "INVALID_UPDATE_MASK",
        );
    }
    const write = async () => {
      const role = await deps.store.update(id, { ...set, updateTime: now() });
      if (role === null) throw roleNotFound(id);
      return role;
    };
    // The role's holders are not known here; every user's copied access goes.
    return set.permissions === undefined ? write() : publishingAccess(deps.accessChanged, undefined, write);
  }

  /** Deletes the role, then takes it from every user that held it (each gets a ROLES_REMOVED entry). */
  async function deleteRoleAndHolders(id: string, actor: string): Promise<void> {
    requireId("role_id", id);
    await publishingAccess(deps.accessChanged, undefined, () => deleteRole(id, actor));
  }

  async function deleteRole(id: string, actor: string): Promise<void> {
    if (!(await deps.store.delete(id))) throw roleNotFound(id);
    // Each batch of holders the role is taken from gets its entries in one write, not one round trip per holder.
    const entry = pendingLog(UserLogEvent.ROLES_REMOVED, actor, { roleIds: [id] }, now());
    await deps.store.pullRoleFromUsers(id, entry.time, entry, (userIds) =>
      deps.pendingLogs.settle(userIds.map((userId) => ({ userId, entries: [entry] }))),
    );
  }

  async function assign(userId: string, roleIds: string[], actor: string): Promise<RoleRecord[]> {
    requireId("user_id", userId);
    const ids = checkRoleIds(roleIds, false);
    const held = await heldRoleIds(userId);
    await requireRoles(ids);
    const adding = ids.filter((id) => !held.includes(id));
    if (adding.length === 0) return rolesOf(held);
    // Copies must not keep answering with the permissions from before.
    return publishingAccess(deps.accessChanged, userId, async () => {
      const entry = pendingLog(UserLogEvent.ROLES_ASSIGNED, actor, { roleIds: adding }, now());
      const after = await deps.store.addUserRoles(userId, adding, maxRolesPerUser, entry.time, [entry]);
      if (after === null) {
        if ((await deps.store.userRoleIds(userId)) === null) throw userNotFound(userId);
        throw failedPrecondition("ROLE_LIMIT_REACHED", `a user holds at most ${maxRolesPerUser} roles`, {
          user_id: userId,
        });
      }
      await deps.pendingLogs.settle([{ userId, entries: [entry] }]);
      return rolesOf(after);
    });
  }

  async function remove(userId: string, roleIds: string[], actor: string): Promise<RoleRecord[]> {
    requireId("user_id", userId);
    const ids = checkRoleIds(roleIds, false);
    return publishingAccess(deps.accessChanged, userId, () => removeChecked(userId, ids, actor));
  }

  async function removeChecked(userId: string, ids: string[], actor: string): Promise<RoleRecord[]> {
    const time = now();
    const removed = pendingLog(UserLogEvent.ROLES_REMOVED, actor, {}, time);
    const change = await deps.store.removeUserRoles(userId, ids, time, { removed });
    if (change === null) throw userNotFound(userId);
    await deps.pendingLogs.settle([{ userId, entries: change.logs }]);
    return rolesOf(change.after);
  }

  async function replace(userId: string, roleIds: string[], actor: string): Promise<RoleRecord[]> {
    requireId("user_id", userId);
    const ids = checkRoleIds(roleIds, true);
    await heldRoleIds(userId);
    await requireRoles(ids);
    return publishingAccess(deps.accessChanged, userId, async () => {
      const time = now();
      const assigned = pendingLog(UserLogEvent.ROLES_ASSIGNED, actor, {}, time);
      const removed = pendingLog(UserLogEvent.ROLES_REMOVED, actor, {}, time);
      const change = await deps.store.replaceUserRoles(userId, ids, time, { assigned, removed });
      if (change === null) throw userNotFound(userId);
      await deps.pendingLogs.settle([{ userId, entries: change.logs }]);
      return rolesOf(change.after);
    });
  }

  async function listUserRoles(userId: string, pageSize: number, pageToken: string): Promise<Page<RoleRecord>> {
    const held = await heldRoleIds(requireId("user_id", userId));
    const limit = pageSizeOf(pageSize);
    const fingerprint = `user-roles:${userId}`;
    const after = pageCursor(decodePageToken(pageToken, fingerprint), "k");
    const [roles, all] = await Promise.all([
      deps.store.findByIds(held, { afterNameKey: after, limit: limit + 1 }),
      deps.store.findByIds(held),
    ]);
    return page(roles, limit, all.length, (last) => encodePageToken({ k: roleNameKey(last.name) }, fingerprint));
  }

  /**
   * A role's holders, a page at a time in id order. A role may be held by every user, so they are
   * counted only with `includeTotal`; otherwise the total is a lower bound (see `pageTotal`).
   */
  async function listRoleUsers(
    roleId: string,
    pageSize: number,
    pageToken: string,
    includeTotal = false,
  ): Promise<Page<UserRecord> & { totalSizeExact: boolean }> {
    await get(roleId);
    const limit = pageSizeOf(pageSize);
    const fingerprint = `role-users:${roleId}`;
    const cursor = decodePageToken(pageToken, fingerprint);
    const after = pageCursor(cursor, "id");
    const listed = listedBefore(cursor);
    const countUpTo = includeTotal ? maxCountedMatches + 1 : undefined;
    const { users, total: counted } = await deps.store.roleUsers(roleId, after, limit + 1, countUpTo);
    const { items, nextPageToken, total, exact } = countedPage(
      users,
      limit,
      listed,
      counted,
      (last) => ({ id: last.id }),
      fingerprint,
    );
    return { items, nextPageToken, totalSize: total, totalSizeExact: exact };
  }

  /** The union of the permissions of the user's roles, sorted, and the roles they come from. */
  async function permissions(userId: string): Promise<{ permissions: string[]; roleIds: string[] }> {
    const roles = await rolesOf(await heldRoleIds(requireId("user_id", userId)));
    const permissions = new Set(roles.flatMap((r) => r.permissions));
    return { permissions: [...permissions].sort(), roleIds: roles.map((r) => r.id) };
  }

  async function access(userId: string): Promise<UserAccess> {
    const access = await deps.store.userAccess(requireId("user_id", userId));
    if (access === null) throw userNotFound(userId);
    return access;
  }

  /** `access` of several users in one call; users that do not exist are left out, each id answered once. */
  async function accessOfMany(userIds: readonly string[]): Promise<UserAccess[]> {
    if (userIds.length === 0) throw invalidField("user_ids", "is required");
    if (userIds.length > maxUsersPerAccessBatch)
      throw invalidField("user_ids", `must name at most ${maxUsersPerAccessBatch} users`);
    const distinct = [...new Set(userIds.map((userId, i) => requireId(`user_ids[${i}]`, userId)))];
    // The reads share the store's batched lookups by id: one find for the users, one for their roles.
    const found = await Promise.all(distinct.map((userId) => deps.store.userAccess(userId)));
    return found.filter((access): access is UserAccess => access !== null);
  }

  /** Every user's access, a page at a time in user id order (see ListUserAccess). */
  async function listAccess(
    pageSize: number,
    pageToken: string,
  ): Promise<{ accesses: UserAccess[]; nextPageToken: string }> {
    const limit = pageSizeOf(pageSize);
    const fingerprint = "user-access";
    const after = pageCursor(decodePageToken(pageToken, fingerprint), "id");
    const rows = await deps.store.accessPage(after, limit + 1);
    const { items, nextPageToken } = page(rows, limit, 0, (last) => encodePageToken({ id: last.userId }, fingerprint));
    return { accesses: items, nextPageToken };
  }

  function page<T>(rows: T[], limit: number, total: number, tokenOf: (last: T) => string): Page<T> {
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items, totalSize: total, nextPageToken: rows.length > limit && last !== undefined ? tokenOf(last) : "" };
  }

  async function heldRoleIds(userId: string): Promise<string[]> {
    const held = await deps.store.userRoleIds(userId);
    if (held === null) throw userNotFound(userId);
    return held;
  }

  /** Every id must name an existing role; the first unknown one is reported. */
  async function requireRoles(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const found = new Set((await deps.store.findByIds(ids)).map((r) => r.id));
    const missing = ids.find((id) => !found.has(id));
    if (missing !== undefined) throw roleNotFound(missing);
  }

  /** Held roles that still exist, ordered by name. */
  function rolesOf(ids: string[]): Promise<RoleRecord[]> {
    return ids.length === 0 ? Promise.resolve([]) : deps.store.findByIds(ids);
  }

  return {
    create,
    get,
    list,
    update,
    delete: deleteRoleAndHolders,
    assign,
    remove,
    replace,
    listUserRoles,
    listRoleUsers,
    permissions,
    access,
    accessOfMany,
    listAccess,
  };
}

export type Roles = ReturnType<typeof createRoles>;
