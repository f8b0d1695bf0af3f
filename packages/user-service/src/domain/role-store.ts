import type { PendingUserLog } from "./user-logs.js";
import type { UserRecord } from "./user-store.js";

/** A role as the domain knows it. */
export interface RoleRecord {
  id: string;
  name: string;
  description: string;
  /** De-duplicated and sorted. */
  permissions: string[];
  createTime: Date;
  updateTime: Date;
}

/** Role names compare case-insensitively: this key orders, pages and prefixes them. */
export function roleNameKey(name: string): string {
  return name.toLowerCase();
}

/** A user's role ids after a change, and the log entries written with it (see PendingUserLog). */
export interface UserRolesChange {
  after: string[];
  logs: PendingUserLog[];
}

/**
 * The log entries a change of a user's roles writes: storage fills in each one's
 * `payload.roleIds` from the roles the user held when the change was written.
 */
export interface RoleChangeEntries {
  assigned: PendingUserLog;
  removed: PendingUserLog;
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

/** What role use cases need from storage; the only code that speaks MongoDB about roles implements it. A duplicate name surfaces as ALREADY_EXISTS `ROLE_NAME_TAKEN`. */
export interface RoleStore {
  insert(role: RoleRecord): Promise<void>;
  findById(id: string): Promise<RoleRecord | null>;
  findByIds(ids: string[], page?: { afterNameKey?: string; limit: number }): Promise<RoleRecord[]>;
  list(
    prefixKey: string,
    afterNameKey: string | undefined,
    limit: number,
  ): Promise<{ roles: RoleRecord[]; total: number }>;
  update(id: string, set: Partial<Omit<RoleRecord, "id">>): Promise<RoleRecord | null>;
  delete(id: string): Promise<boolean>;
  userRoleIds(userId: string): Promise<string[] | null>;
  /** One read of the user by id and one of its roles by id; null when there is no such user. */
  userAccess(userId: string): Promise<UserAccess | null>;
  /** The access of up to `limit` users with ids after `afterId` (all when undefined), in id order. */
  accessPage(afterId: string | undefined, limit: number): Promise<UserAccess[]>;
  /** Adds roles, writing `logs` with them, unless the user would then hold more than `max`. */
  addUserRoles(
    userId: string,
    roleIds: string[],
    max: number,
    now: Date,
    logs: PendingUserLog[],
  ): Promise<string[] | null>;
  removeUserRoles(
    userId: string,
    roleIds: string[],
    now: Date,
    entries: Pick<RoleChangeEntries, "removed">,
  ): Promise<UserRolesChange | null>;
  replaceUserRoles(
    userId: string,
    roleIds: string[],
    now: Date,
    entries: RoleChangeEntries,
  ): Promise<UserRolesChange | null>;
  /**
   * Up to `limit` holders of the role after `afterId`, in id order, and (with `countUpTo`) how many
   * hold it, counting at most that many.
   */
  roleUsers(
    roleId: string,
    afterId: string | undefined,
    limit: number,
    countUpTo: number | undefined,
  ): Promise<{ users: UserRecord[]; total: number | undefined }>;
  /** Takes a role from every holder, writing `entry` with each; `removed` hears each batch of holders it was taken from. */
  pullRoleFromUsers(
    roleId: string,
    now: Date,
    entry: PendingUserLog,
    removed: (userIds: string[]) => Promise<void>,
  ): Promise<void>;
}
