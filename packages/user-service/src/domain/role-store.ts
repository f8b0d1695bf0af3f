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
  addUserRoles(userId: string, roleIds: string[], max: number, now: Date): Promise<string[] | null>;
  removeUserRoles(userId: string, roleIds: string[], now: Date): Promise<UserRolesChange | null>;
  replaceUserRoles(userId: string, roleIds: string[], now: Date): Promise<UserRolesChange | null>;
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
  pullRoleFromUsers(roleId: string, now: Date, removed: (userIds: string[]) => Promise<void>): Promise<void>;
}
