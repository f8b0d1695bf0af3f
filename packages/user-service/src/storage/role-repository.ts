import type { Db, Filter } from "mongodb";
import { createBatchedLookup, duplicateKeyOf } from "@roster/runtime";
import { alreadyExists } from "@roster/runtime/domain-error";
import {
  roleNameKey,
  type RoleRecord,
  type RoleStore,
  type UserAccess,
  type UserRolesChange,
} from "../domain/role-store.js";
import { escapeRegex } from "../domain/search-regex.js";
import { toUserRecord, type UserDocument } from "./user-document.js";
import { usersCollection, withLogs } from "./user-repository.js";
import type { PendingUserLog } from "../domain/user-logs.js";

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

function toRoleRecord(doc: RoleDocument): RoleRecord {
  return {
    id: doc._id,
    name: doc.name,
    description: doc.description,
    permissions: doc.permissions,
    createTime: doc.createTime,
    updateTime: doc.updateTime,
  };
}

function mapDuplicate(err: unknown): never {
  if (duplicateKeyOf(err) !== undefined)
    throw alreadyExists("ROLE_NAME_TAKEN", "a role with that name exists", "role.name");
  throw err;
}

/** Orders strings as MongoDB sorts them without a collation: by their UTF-8 bytes. */
const inMongoStringOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * The `roles` collection, and the `roleIds` of users: the only code that speaks Mongo about roles.
 * `lookupTimeoutMs` bounds the reads of a caller's access as a whole (see createBatchedLookup).
 */
/** The roles a user holds, in an update pipeline. */
const held = { $ifNull: ["$roleIds", []] };

/** Whether the element at hand is one of `roleIds`, in an update pipeline. */
const among = (roleIds: string[]) => ({ $in: ["$$this", { $literal: roleIds }] });

/** A log entry whose `payload.roleIds` the pipeline works out. */
const entryWithRoles = (entry: PendingUserLog, roleIds: unknown) => ({
  $mergeObjects: [{ $literal: { ...entry, payload: {} } }, { payload: { roleIds } }],
});

export function createRoleRepository(db: Db, options: { lookupTimeoutMs: number }): RoleStore {
  const roleDocs = db.collection<RoleDocument>(rolesCollection);
  const userDocs = db.collection<UserDocument>(usersCollection);
  // The access reads of calls made with access tokens that arrive together share their round trips.
  const timeoutMs = options.lookupTimeoutMs;
  const accessFields = { username: 1, suspended: 1, tokenEpoch: 1, roleIds: 1 } as const;
  const accessOf = createBatchedLookup(userDocs, { projection: accessFields, timeoutMs });
  const permissionsOf = createBatchedLookup(roleDocs, { projection: { permissions: 1 }, timeoutMs });
  const roleOf = createBatchedLookup(roleDocs, { timeoutMs });
  /** A user's access from its access fields: its roles' permissions, read by id with the calls that arrive together. */
  const accessFrom = async (
    userId: string,
    user: Pick<UserDocument, "username" | "suspended" | "tokenEpoch" | "roleIds">,
  ): Promise<UserAccess> => {
    const roles = await Promise.all((user.roleIds ?? []).map(permissionsOf));
    return {
      userId,
      username: user.username ?? "",
      suspended: user.suspended,
      tokenEpoch: user.tokenEpoch ?? 0,
      permissions: [...new Set(roles.flatMap((r) => r?.permissions ?? []))].sort(),
    };
  };
  const roleOrNull = (doc: RoleDocument | null) => (doc === null ? null : toRoleRecord(doc));

  /**
   * Sets the user's roles to `after` (an expression over the roles held) in one write with log
   * entries whose role ids are worked out from the roles held at that moment, so concurrent changes
   * cannot make an entry tell of a change that did not happen.
   */
  async function changeRoles(
    userId: string,
    after: unknown,
    now: Date,
    entries: { entry: PendingUserLog; roleIds: unknown }[],
  ): Promise<UserRolesChange | null> {
    const written = entries.map(({ entry, roleIds }) => entryWithRoles(entry, roleIds));
    const user = await userDocs.findOneAndUpdate(
      { _id: userId },
      [
        {
          $set: {
            roleIds: after,
            updateTime: { $literal: now },
            pendingLogs: { $concatArrays: [{ $ifNull: ["$pendingLogs", []] }, written] },
          },
        },
      ],
      { returnDocument: "after", projection: { roleIds: 1, pendingLogs: 1 } },
    );
    if (user === null) return null;
    const ids = new Set(entries.map(({ entry }) => entry.id));
    return { after: user.roleIds, logs: (user.pendingLogs ?? []).filter((e) => ids.has(e.id)) };
  }
  return {
    async insert(role) {
      const { id, ...fields } = role;
      await roleDocs.insertOne({ _id: id, ...fields, nameKey: roleNameKey(role.name) }).catch(mapDuplicate);
    },

    async findById(id) {
      return roleOrNull(await roleDocs.findOne({ _id: id }));
    },

    /**
     * The roles among `ids` that exist, ordered by name, optionally after a name key. Without a page
     * (a user's roles, the roles a request names) they are read by id with the calls that arrive together.
     */
    async findByIds(ids, page) {
      if (page === undefined) {
        const found = await Promise.all([...new Set(ids)].map(roleOf));
        return found
          .filter((doc) => doc !== null)
          .sort((a, b) => inMongoStringOrder(a.nameKey, b.nameKey))
          .map(toRoleRecord);
      }
      const filter: Filter<RoleDocument> = { _id: { $in: ids } };
      if (page?.afterNameKey !== undefined) filter.nameKey = { $gt: page.afterNameKey };
      return (await roleDocs.find(filter, { sort: { nameKey: 1 }, limit: page?.limit ?? 0 }).toArray()).map(
        toRoleRecord,
      );
    },

    async list(prefixKey, afterNameKey, limit) {
      const byPrefix: Filter<RoleDocument> =
        prefixKey === "" ? {} : { nameKey: { $regex: `^${escapeRegex(prefixKey)}` } };
      const page: Filter<RoleDocument> =
        afterNameKey === undefined ? byPrefix : { $and: [byPrefix, { nameKey: { $gt: afterNameKey } }] };
      const [roles, total] = await Promise.all([
        roleDocs.find(page, { sort: { nameKey: 1 }, limit }).toArray(),
        roleDocs.countDocuments(byPrefix),
      ]);
      return { roles: roles.map(toRoleRecord), total };
    },

    async update(id, set) {
      const stored: Partial<RoleDocument> = set.name === undefined ? set : { ...set, nameKey: roleNameKey(set.name) };
      return roleOrNull(
        await roleDocs.findOneAndUpdate({ _id: id }, { $set: stored }, { returnDocument: "after" }).catch(mapDuplicate),
      );
    },

    async delete(id) {
      return (await roleDocs.deleteOne({ _id: id })).deletedCount === 1;
    },

    /** Read by id with the calls that arrive together, access reads among them. */
    async userRoleIds(userId) {
      const user = await accessOf(userId);
      return user === null ? null : (user.roleIds ?? []);
    },

    /**
     * Both reads go by `_id`, shared with the calls that arrive together, and
     * the role read is skipped for a user without roles: this runs on every
     * call made with an access token.
     */
    async userAccess(userId): Promise<UserAccess | null> {
      const user = await accessOf(userId);
      return user === null ? null : accessFrom(userId, user);
    },

    /** One read of the page's users in `_id` order (through the `_id` index), and one of their roles. */
    async accessPage(afterId, limit) {
      const filter: Filter<UserDocument> = afterId === undefined ? {} : { _id: { $gt: afterId } };
      const users = await userDocs.find(filter, { sort: { _id: 1 }, limit, projection: accessFields }).toArray();
      return Promise.all(users.map((user) => accessFrom(user._id, user)));
    },

    /**
     * Adds roles unless the user would then hold more than `max`: the filter
     * requires room for every added role, so concurrent assignments cannot
     * overshoot. Null when the user is gone or out of room.
     */
    async addUserRoles(userId, roleIds, max, now, logs) {
      const user = await userDocs.findOneAndUpdate(
        { _id: userId, [`roleIds.${max - roleIds.length}`]: { $exists: false } } as Filter<UserDocument>,
        withLogs({ $addToSet: { roleIds: { $each: roleIds } }, $set: { updateTime: now } }, logs),
        { returnDocument: "after", projection: { roleIds: 1 } },
      );
      return user === null ? null : user.roleIds;
    },

    async removeUserRoles(userId, roleIds, now, { removed }) {
      const kept = { $filter: { input: held, cond: { $not: [among(roleIds)] } } };
      const taken = { $filter: { input: held, cond: among(roleIds) } };
      return changeRoles(userId, kept, now, [{ entry: removed, roleIds: taken }]);
    },

    async replaceUserRoles(userId, roleIds, now, { assigned, removed }) {
      const added = { $filter: { input: { $literal: roleIds }, cond: { $not: [{ $in: ["$$this", held] }] } } };
      const dropped = { $filter: { input: held, cond: { $not: [among(roleIds)] } } };
      return changeRoles(userId, { $literal: roleIds }, now, [
        { entry: assigned, roleIds: added },
        { entry: removed, roleIds: dropped },
      ]);
    },

    /** Users holding a role, by id, after `afterId`; served by the `roleIds, _id` index. */
    async roleUsers(roleId, afterId, limit, countUpTo) {
      const filter: Filter<UserDocument> =
        afterId === undefined ? { roleIds: roleId } : { roleIds: roleId, _id: { $gt: afterId } };
      const [users, total] = await Promise.all([
        userDocs
          .find(filter, { sort: { _id: 1 }, limit, projection: { grams: 0, searchKeys: 0, pendingLogs: 0 } })
          .toArray(),
        countUpTo === undefined ? undefined : userDocs.countDocuments({ roleIds: roleId }, { limit: countUpTo }),
      ]);
      return { users: users.map(toUserRecord), total };
    },

    /** Takes a role away from every user that holds it, a batch at a time; calls `removed` with each batch's user ids. */
    async pullRoleFromUsers(roleId, now, entry, removed) {
      const batchSize = 500;
      for (;;) {
        const batch = await userDocs
          .find({ roleIds: roleId }, { projection: { _id: 1 }, sort: { _id: 1 }, limit: batchSize })
          .toArray();
        if (batch.length === 0) return;
        const ids = batch.map((u) => u._id);
        await userDocs.updateMany(
          { _id: { $in: ids }, roleIds: roleId },
          withLogs({ $pull: { roleIds: roleId }, $set: { updateTime: now } }, [entry]),
        );
        // Only the holders this write took it from: one that lost it meanwhile got no entry.
        const changed = await userDocs
          .find({ _id: { $in: ids }, "pendingLogs.id": entry.id }, { projection: { _id: 1 } })
          .toArray();
        await removed(changed.map((u) => u._id));
      }
    },
  };
}
