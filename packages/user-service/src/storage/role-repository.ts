import type { Collection, Db, Filter } from "mongodb";
import { duplicateKeyOf } from "@roster/runtime";
import { alreadyExists } from "@roster/runtime/domain-error";
import type { RoleStore, UserAccess, UserRolesChange } from "../domain/roles.js";
import { escapeRegex } from "../domain/search-regex.js";
import type { UserDocument } from "./user-document.js";
import { usersCollection } from "./user-repository.js";

export const rolesCollection = "roles";

/** How a role is stored in the `roles` collection. */
export interface RoleDocument {
  _id: string;
  name: string;
  /** Lower-cased name: unique index, ordering and prefix listing. */
  nameKey: string;
  description: string;
  /** De-duplicated and sorted. */
  permissions: string[];
  createTime: Date;
  updateTime: Date;
}

function mapDuplicate(err: unknown): never {
  if (duplicateKeyOf(err) !== undefined) throw alreadyExists("ROLE_NAME_TAKEN", "a role with that name exists", "role.name");
  throw err;
}

/** The `roles` collection, and the `roleIds` of users: the only code that speaks Mongo about roles. */
export class RoleRepository implements RoleStore {
  private readonly roles: Collection<RoleDocument>;
  private readonly users: Collection<UserDocument>;

  constructor(db: Db) {
    this.roles = db.collection<RoleDocument>(rolesCollection);
    this.users = db.collection<UserDocument>(usersCollection);
  }

  async insert(role: RoleDocument): Promise<void> {
    await this.roles.insertOne(role).catch(mapDuplicate);
  }

  findById(id: string): Promise<RoleDocument | null> {
    return this.roles.findOne({ _id: id });
  }

  /** The roles among `ids` that exist, ordered by name, optionally after a name key. */
  findByIds(ids: string[], page?: { afterNameKey?: string; limit: number }): Promise<RoleDocument[]> {
    const filter: Filter<RoleDocument> = { _id: { $in: ids } };
    if (page?.afterNameKey !== undefined) filter.nameKey = { $gt: page.afterNameKey };
    return this.roles.find(filter, { sort: { nameKey: 1 }, limit: page?.limit ?? 0 }).toArray();
  }

  async list(prefixKey: string, afterNameKey: string | undefined, limit: number): Promise<{ roles: RoleDocument[]; total: number }> {
    const byPrefix: Filter<RoleDocument> = prefixKey === "" ? {} : { nameKey: { $regex: `^${escapeRegex(prefixKey)}` } };
    const page: Filter<RoleDocument> = afterNameKey === undefined ? byPrefix : { $and: [byPrefix, { nameKey: { $gt: afterNameKey } }] };
    const [roles, total] = await Promise.all([
      this.roles.find(page, { sort: { nameKey: 1 }, limit }).toArray(),
      this.roles.countDocuments(byPrefix),
    ]);
    return { roles, total };
  }

  update(id: string, set: Partial<RoleDocument>): Promise<RoleDocument | null> {
    return this.roles.findOneAndUpdate({ _id: id }, { $set: set }, { returnDocument: "after" }).catch(mapDuplicate);
  }

  async delete(id: string): Promise<boolean> {
    return (await this.roles.deleteOne({ _id: id })).deletedCount === 1;
  }

  async userRoleIds(userId: string): Promise<string[] | null> {
    const user = await this.users.findOne({ _id: userId }, { projection: { roleIds: 1 } });
    return user === null ? null : (user.roleIds ?? []);
  }

  /**
   * Both reads go by `_id`, and the role read is skipped for a user without
   * roles: this runs on every call made with an access token.
   */
  async userAccess(userId: string): Promise<UserAccess | null> {
    const user = await this.users.findOne({ _id: userId }, { projection: { username: 1, suspended: 1, tokenEpoch: 1, roleIds: 1 } });
    if (user === null) return null;
    const roleIds = user.roleIds ?? [];
    const roles = roleIds.length === 0 ? [] : await this.roles.find({ _id: { $in: roleIds } }, { projection: { permissions: 1 } }).toArray();
    return {
      userId,
      username: user.username ?? "",
      suspended: user.suspended,
      tokenEpoch: user.tokenEpoch ?? 0,
      permissions: [...new Set(roles.flatMap((r) => r.permissions))].sort(),
    };
  }

  /**
   * Adds roles unless the user would then hold more than `max`: the filter
   * requires room for every added role, so concurrent assignments cannot
   * overshoot. Null when the user is gone or out of room.
   */
  async addUserRoles(userId: string, roleIds: string[], max: number, now: Date): Promise<string[] | null> {
    const user = await this.users.findOneAndUpdate(
      { _id: userId, [`roleIds.${max - roleIds.length}`]: { $exists: false } } as Filter<UserDocument>,
      { $addToSet: { roleIds: { $each: roleIds } }, $set: { updateTime: now } },
      { returnDocument: "after", projection: { roleIds: 1 } },
    );
    return user === null ? null : user.roleIds;
  }

  async removeUserRoles(userId: string, roleIds: string[], now: Date): Promise<UserRolesChange | null> {
    const before = await this.users.findOneAndUpdate(
      { _id: userId },
      { $pull: { roleIds: { $in: roleIds } }, $set: { updateTime: now } },
      { returnDocument: "before", projection: { roleIds: 1 } },
    );
    if (before === null) return null;
    const removing = new Set(roleIds);
    return { before: before.roleIds, after: before.roleIds.filter((id) => !removing.has(id)) };
  }

  async replaceUserRoles(userId: string, roleIds: string[], now: Date): Promise<UserRolesChange | null> {
    const before = await this.users.findOneAndUpdate(
      { _id: userId },
      { $set: { roleIds, updateTime: now } },
      { returnDocument: "before", projection: { roleIds: 1 } },
    );
    return before === null ? null : { before: before.roleIds, after: roleIds };
  }

  /** Users holding a role, by id, after `afterId`; served by the `roleIds, _id` index. */
  async roleUsers(roleId: string, afterId: string | undefined, limit: number): Promise<{ users: UserDocument[]; total: number }> {
    const filter: Filter<UserDocument> = afterId === undefined ? { roleIds: roleId } : { roleIds: roleId, _id: { $gt: afterId } };
    const [users, total] = await Promise.all([
      this.users.find(filter, { sort: { _id: 1 }, limit }).toArray(),
      this.users.countDocuments({ roleIds: roleId }),
    ]);
    return { users, total };
  }

  /** Takes a role away from every user that holds it, a batch at a time; calls `removed` with each batch's user ids. */
  async pullRoleFromUsers(roleId: string, now: Date, removed: (userIds: string[]) => Promise<void>, batchSize = 500): Promise<void> {
    for (;;) {
      const batch = await this.users.find({ roleIds: roleId }, { projection: { _id: 1 }, sort: { _id: 1 }, limit: batchSize }).toArray();
      if (batch.length === 0) return;
      const ids = batch.map((u) => u._id);
      await this.users.updateMany({ _id: { $in: ids } }, { $pull: { roleIds: roleId }, $set: { updateTime: now } });
      await removed(ids);
    }
  }
}
