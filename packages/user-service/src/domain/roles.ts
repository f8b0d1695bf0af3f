import { randomUUID } from "node:crypto";
import { UserLogEvent, UserLogResult } from "@roster/client";
import { checkScopes } from "@roster/client/scopes";
import { failedPrecondition, invalidArgument, invalidField, notFound } from "@roster/runtime/domain-error";
import type { RoleDocument } from "../storage/role-repository.js";
import type { UserDocument } from "../storage/user-document.js";
import { decodePageToken, encodePageToken, invalidPageToken, pageSizeOf } from "@roster/runtime/page-token";
import { requireId } from "@roster/runtime/resource-id";
import type { AppendLog } from "./user-logs.js";
import { publishingAccess, type AccessChanged } from "./access-feed.js";

export const maxRolesPerUser = 100;
const maxPermissions = 100;
const namePattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** A user's role ids before and after a change. */
export interface UserRolesChange {
  before: string[];
  after: string[];
}

/** What a user's credentials may do now: the state every access token is checked against. */
export interface UserAccess {
  userId: string;
  /** Empty when the user has none. */
  username: string;
  suspended: boolean;
  tokenEpoch: number;
  /** The union of the permissions of the user's roles, sorted. */
  permissions: string[];
}

/** What role use cases need from storage. A duplicate name surfaces as ALREADY_EXISTS `ROLE_NAME_TAKEN`. */
export interface RoleStore {
  insert(role: RoleDocument): Promise<void>;
  findById(id: string): Promise<RoleDocument | null>;
  findByIds(ids: string[], page?: { afterNameKey?: string; limit: number }): Promise<RoleDocument[]>;
  list(prefixKey: string, afterNameKey: string | undefined, limit: number): Promise<{ roles: RoleDocument[]; total: number }>;
  update(id: string, set: Partial<RoleDocument>): Promise<RoleDocument | null>;
  delete(id: string): Promise<boolean>;
  userRoleIds(userId: string): Promise<string[] | null>;
  /** One read of the user by id and one of its roles by id; null when there is no such user. */
  userAccess(userId: string): Promise<UserAccess | null>;
  addUserRoles(userId: string, roleIds: string[], max: number, now: Date): Promise<string[] | null>;
  removeUserRoles(userId: string, roleIds: string[], now: Date): Promise<UserRolesChange | null>;
  replaceUserRoles(userId: string, roleIds: string[], now: Date): Promise<UserRolesChange | null>;
  roleUsers(roleId: string, afterId: string | undefined, limit: number): Promise<{ users: UserDocument[]; total: number }>;
  pullRoleFromUsers(roleId: string, now: Date, removed: (userIds: string[]) => Promise<void>): Promise<void>;
}

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
  if (!namePattern.test(name)) throw invalidField("role.name", "must be 1-64 characters of letters, digits and ._:-, starting with a letter or digit");
  return name;
}

function checkDescription(description: string): string {
  if (description.length > 1024) throw invalidField("role.description", "must be at most 1024 characters");
  return description;
}

/** Validates permissions in the one scope grammar, refusing service-only scopes; stored de-duplicated and sorted. */
export function checkPermissions(permissions: string[]): string[] {
  const checked = checkScopes("role.permissions", permissions, { max: maxPermissions, malformedReason: "INVALID_PERMISSION" });
  if (!checked.ok) throw invalidArgument(checked.violations, checked.reason);
  return checked.scopes;
}

const requiredId = (value: string, field: string): string => requireId(field, value);

/** Role ids of a request: bounded, each well-formed, de-duplicated. */
function checkRoleIds(ids: string[], allowEmpty: boolean): string[] {
  if ((!allowEmpty && ids.length === 0) || ids.length > maxRolesPerUser) {
    throw invalidField("role_ids", `must have ${allowEmpty ? 0 : 1}-${maxRolesPerUser} entries`);
  }
  ids.forEach((id, i) => requiredId(id, `role_ids[${i}]`));
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

/** Role-based access control: role CRUD, who holds which role, effective permissions. */
export class Roles {
  private readonly now: () => Date;

  constructor(private readonly deps: { store: RoleStore; appendLog: AppendLog; accessChanged?: AccessChanged; now?: () => Date }) {
    this.now = deps.now ?? (() => new Date());
  }

  async create(input: RoleInput): Promise<RoleDocument> {
    const name = checkName(input.name);
    const now = this.now();
    const role: RoleDocument = {
      _id: randomUUID(),
      name,
      nameKey: name.toLowerCase(),
      description: checkDescription(input.description),
      permissions: checkPermissions(input.permissions),
      createTime: now,
      updateTime: now,
    };
    await this.deps.store.insert(role);
    return role;
  }

  async get(id: string): Promise<RoleDocument> {
    const role = await this.deps.store.findById(requiredId(id, "role_id"));
    if (role === null) throw roleNotFound(id);
    return role;
  }

  async list(namePrefix: string, pageSize: number, pageToken: string): Promise<Page<RoleDocument>> {
    if (namePrefix.length > 64) throw invalidField("name_prefix", "must be at most 64 characters");
    const limit = pageSizeOf(pageSize);
    const prefixKey = namePrefix.toLowerCase();
    const after = pageCursor(decodePageToken(pageToken, `roles:${prefixKey}`), "k");
    const { roles, total } = await this.deps.store.list(prefixKey, after, limit + 1);
    return this.page(roles, limit, total, (last) => encodePageToken({ k: last.nameKey }, `roles:${prefixKey}`));
  }

  /** Applies the masked fields; `paths` must be non-empty and name only name, description, permissions. */
  async update(id: string, input: RoleInput, paths: string[]): Promise<RoleDocument> {
    requiredId(id, "role.id");
    if (paths.length === 0) throw invalidField("update_mask", "must name at least one path", "INVALID_UPDATE_MASK");
    const set: Partial<RoleDocument> = {};
    for (const path of paths) {
      if (path === "name") Object.assign(set, { name: checkName(input.name), nameKey: input.name.toLowerCase() });
      else if (path === "description") set.description = checkDescription(input.description);
      else if (path === "permissions") set.permissions = checkPermissions(input.permissions);
      else throw invalidField("update_mask", `unknown path "${path}"; allowed: name, description, permissions`, "INVALID_UPDATE_MASK");
    }
    const write = async () => {
      const role = await this.deps.store.update(id, { ...set, updateTime: this.now() });
      if (role === null) throw roleNotFound(id);
      return role;
    };
    // The role's holders are not known here; every user's copied access goes.
    return set.permissions === undefined ? write() : publishingAccess(this.deps.accessChanged, undefined, write);
  }

  /** Deletes the role, then takes it from every user that held it (each gets a ROLES_REMOVED entry). */
  async delete(id: string, actor: string): Promise<void> {
    requiredId(id, "role_id");
    await publishingAccess(this.deps.accessChanged, undefined, () => this.deleteRole(id, actor));
  }

  private async deleteRole(id: string, actor: string): Promise<void> {
    if (!(await this.deps.store.delete(id))) throw roleNotFound(id);
    await this.deps.store.pullRoleFromUsers(id, this.now(), async (userIds) => {
      for (const userId of userIds) await this.log(userId, UserLogEvent.ROLES_REMOVED, actor, [id]);
    });
  }

  async assign(userId: string, roleIds: string[], actor: string): Promise<RoleDocument[]> {
    requiredId(userId, "user_id");
    const ids = checkRoleIds(roleIds, false);
    const held = await this.heldRoleIds(userId);
    await this.requireRoles(ids);
    const adding = ids.filter((id) => !held.includes(id));
    if (adding.length === 0) return this.rolesOf(held);
    // Copies must not keep answering with the permissions from before.
    return publishingAccess(this.deps.accessChanged, userId, async () => {
      const after = await this.deps.store.addUserRoles(userId, adding, maxRolesPerUser, this.now());
      if (after === null) {
        if ((await this.deps.store.userRoleIds(userId)) === null) throw userNotFound(userId);
        throw failedPrecondition("ROLE_LIMIT_REACHED", `a user holds at most ${maxRolesPerUser} roles`, { user_id: userId });
      }
      await this.log(userId, UserLogEvent.ROLES_ASSIGNED, actor, adding);
      return this.rolesOf(after);
    });
  }

  async remove(userId: string, roleIds: string[], actor: string): Promise<RoleDocument[]> {
    requiredId(userId, "user_id");
    const ids = checkRoleIds(roleIds, false);
    return publishingAccess(this.deps.accessChanged, userId, () => this.removeChecked(userId, ids, actor));
  }

  private async removeChecked(userId: string, ids: string[], actor: string): Promise<RoleDocument[]> {
    const change = await this.deps.store.removeUserRoles(userId, ids, this.now());
    if (change === null) throw userNotFound(userId);
    await this.logChange(userId, change, actor);
    return this.rolesOf(change.after);
  }

  async replace(userId: string, roleIds: string[], actor: string): Promise<RoleDocument[]> {
    requiredId(userId, "user_id");
    const ids = checkRoleIds(roleIds, true);
    await this.heldRoleIds(userId);
    await this.requireRoles(ids);
    return publishingAccess(this.deps.accessChanged, userId, async () => {
      const change = await this.deps.store.replaceUserRoles(userId, ids, this.now());
      if (change === null) throw userNotFound(userId);
      await this.logChange(userId, change, actor);
      return this.rolesOf(change.after);
    });
  }

  async listUserRoles(userId: string, pageSize: number, pageToken: string): Promise<Page<RoleDocument>> {
    const held = await this.heldRoleIds(requiredId(userId, "user_id"));
    const limit = pageSizeOf(pageSize);
    const fingerprint = `user-roles:${userId}`;
    const after = pageCursor(decodePageToken(pageToken, fingerprint), "k");
    const [roles, all] = await Promise.all([
      this.deps.store.findByIds(held, { afterNameKey: after, limit: limit + 1 }),
      this.deps.store.findByIds(held),
    ]);
    return this.page(roles, limit, all.length, (last) => encodePageToken({ k: last.nameKey }, fingerprint));
  }

  async listRoleUsers(roleId: string, pageSize: number, pageToken: string): Promise<Page<UserDocument>> {
    await this.get(roleId);
    const limit = pageSizeOf(pageSize);
    const fingerprint = `role-users:${roleId}`;
    const after = pageCursor(decodePageToken(pageToken, fingerprint), "id");
    const { users, total } = await this.deps.store.roleUsers(roleId, after, limit + 1);
    return this.page(users, limit, total, (last) => encodePageToken({ id: last._id }, fingerprint));
  }

  /** The union of the permissions of the user's roles, sorted, and the roles they come from. */
  async permissions(userId: string): Promise<{ permissions: string[]; roleIds: string[] }> {
    const roles = await this.rolesOf(await this.heldRoleIds(requiredId(userId, "user_id")));
    const permissions = new Set(roles.flatMap((r) => r.permissions));
    return { permissions: [...permissions].sort(), roleIds: roles.map((r) => r._id) };
  }

  async access(userId: string): Promise<UserAccess> {
    const access = await this.deps.store.userAccess(requiredId(userId, "user_id"));
    if (access === null) throw userNotFound(userId);
    return access;
  }

  private page<T>(rows: T[], limit: number, total: number, tokenOf: (last: T) => string): Page<T> {
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items, totalSize: total, nextPageToken: rows.length > limit && last !== undefined ? tokenOf(last) : "" };
  }

  private async heldRoleIds(userId: string): Promise<string[]> {
    const held = await this.deps.store.userRoleIds(userId);
    if (held === null) throw userNotFound(userId);
    return held;
  }

  /** Every id must name an existing role; the first unknown one is reported. */
  private async requireRoles(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const found = new Set((await this.deps.store.findByIds(ids)).map((r) => r._id));
    const missing = ids.find((id) => !found.has(id));
    if (missing !== undefined) throw roleNotFound(missing);
  }

  /** Held roles that still exist, ordered by name. */
  private rolesOf(ids: string[]): Promise<RoleDocument[]> {
    return ids.length === 0 ? Promise.resolve([]) : this.deps.store.findByIds(ids);
  }

  private async logChange(userId: string, change: UserRolesChange, actor: string): Promise<void> {
    const added = change.after.filter((id) => !change.before.includes(id));
    const removed = change.before.filter((id) => !change.after.includes(id));
    if (added.length > 0) await this.log(userId, UserLogEvent.ROLES_ASSIGNED, actor, added);
    if (removed.length > 0) await this.log(userId, UserLogEvent.ROLES_REMOVED, actor, removed);
  }

  private log(userId: string, event: UserLogEvent, actor: string, roleIds: string[]): Promise<void> {
    return this.deps.appendLog({ userId, eventType: event, actor, result: UserLogResult.SUCCESS, payload: { roleIds } });
  }
}
