import { describe, expect, it } from "vitest";
import { detailedFailureOf } from "./helpers/contract.js";
import { grpc } from "./helpers/plain-grpc.js";
import { callRoles, type RoleReply } from "./helpers/roles.js";
import { callUsers, failureOf, unique } from "./helpers/users.js";

// The RoleService contract, RPC by RPC: each documented error, and bad input
// refused naming the field with nothing written (checked by reading back).

interface RolesReply {
  roles: RoleReply["role"][];
  nextPageToken: string;
  totalSize: number;
}
interface UsersPage {
  users: { id: string }[];
  nextPageToken: string;
  totalSize: number;
}

const newRole = async (fields: object = {}) =>
  (await callRoles<RoleReply>("createRole", { role: { name: unique("rc-"), ...fields } })).role;
const newUser = async () =>
  (await callUsers<{ user: { id: string } }>("createUser", { username: unique("rc_") })).user.id;
const readRole = async (id: string) => (await callRoles<RoleReply>("getRole", { roleId: id })).role;
const heldBy = async (userId: string) =>
  (await callRoles<RolesReply>("listUserRoles", { userId })).roles.map((r) => r.id).sort();
const invalid = (field: string, reason = "INVALID_ARGUMENT") => ({
  code: grpc.status.INVALID_ARGUMENT,
  reason,
  fields: [field],
});
const userNotFound = { code: grpc.status.NOT_FOUND, reason: "USER_NOT_FOUND" };
const roleNotFound = { code: grpc.status.NOT_FOUND, reason: "ROLE_NOT_FOUND" };

describe("role CRUD contract", () => {
  it("when a role field is oversized or wrong-shaped then INVALID_ARGUMENT names it and no role is written", async () => {
    const name = unique("rcbad-");
    const create = (role: object) => failureOf(() => callRoles("createRole", { role: { name, ...role } }));
    expect(await create({ description: "d".repeat(1_025) })).toEqual(invalid("role.description"));
    expect(await create({ permissions: Array.from({ length: 101 }, (_, i) => `p:${i}`) })).toEqual(
      invalid("role.permissions"),
    );
    expect(await create({ permissions: ["p".repeat(129)] })).toEqual(
      invalid("role.permissions[0]", "INVALID_PERMISSION"),
    );
    expect(await create({ name: `${name}-${"n".repeat(64)}` })).toEqual(invalid("role.name"));
    expect(await create({ name: "-leading-dash" })).toEqual(invalid("role.name"));
    expect((await callRoles<RolesReply>("listRoles", { namePrefix: name })).totalSize).toBe(0);
  });

  it("when a role id is unknown or missing then GetRole, DeleteRole and UpdateRole say so", async () => {
    expect(await failureOf(() => callRoles("getRole", { roleId: "no-such-role" }))).toMatchObject(roleNotFound);
    expect(await failureOf(() => callRoles("getRole", {}))).toEqual(invalid("role_id"));
    expect(await failureOf(() => callRoles("deleteRole", { roleId: "no-such-role" }))).toMatchObject(roleNotFound);
    expect(await failureOf(() => callRoles("deleteRole", {}))).toEqual(invalid("role_id"));
    const update = { role: { id: "no-such-role", description: "x" }, updateMask: { paths: ["description"] } };
    expect(await failureOf(() => callRoles("updateRole", update))).toMatchObject(roleNotFound);
    expect(await failureOf(() => callRoles("updateRole", { updateMask: { paths: ["description"] } }))).toEqual(
      invalid("role"),
    );
    expect(
      await failureOf(() =>
        callRoles("updateRole", { role: { description: "x" }, updateMask: { paths: ["description"] } }),
      ),
    ).toEqual(invalid("role.id"));
  });

  it("when a role is deleted then a second delete and a get are NOT_FOUND", async () => {
    const role = await newRole();
    await callRoles("deleteRole", { roleId: role.id });
    expect(await failureOf(() => callRoles("deleteRole", { roleId: role.id }))).toMatchObject(roleNotFound);
    expect(await failureOf(() => callRoles("getRole", { roleId: role.id }))).toMatchObject(roleNotFound);
  });

  it("when an update takes a used name, a bad permission or an empty mask then it is refused and nothing changes", async () => {
    const [taken, role] = [await newRole(), await newRole({ description: "before", permissions: ["a:read"] })];
    const update = (fields: object, paths: string[]) =>
      failureOf(() => callRoles("updateRole", { role: { id: role.id, ...fields }, updateMask: { paths } }));
    expect(await update({ name: taken.name.toUpperCase(), description: "after" }, ["description", "name"])).toEqual({
      code: grpc.status.ALREADY_EXISTS,
      reason: "ROLE_NAME_TAKEN",
      fields: ["role.name"],
    });
    expect(
      await update({ description: "after", permissions: ["a:read", "Bad Scope"] }, ["description", "permissions"]),
    ).toEqual(invalid("role.permissions[1]", "INVALID_PERMISSION"));
    expect(await update({ description: "after", name: "" }, ["description", "name"])).toEqual(invalid("role.name"));
    expect(await update({ description: "after" }, [])).toEqual(invalid("update_mask", "INVALID_UPDATE_MASK"));
    expect(await readRole(role.id)).toMatchObject({ name: role.name, description: "before", permissions: ["a:read"] });
  });

  it("when a page token comes from another prefix or the prefix is too long then INVALID_ARGUMENT", async () => {
    const prefix = unique("lr");
    for (const s of ["a", "b"]) await newRole({ name: `${prefix}-${s}` });
    const page = await callRoles<RolesReply>("listRoles", { namePrefix: prefix, pageSize: 1 });
    expect(page.nextPageToken).not.toBe("");
    expect(
      await failureOf(() =>
        callRoles("listRoles", { namePrefix: `${prefix}-`, pageSize: 1, pageToken: page.nextPageToken }),
      ),
    ).toEqual(invalid("page_token", "INVALID_PAGE_TOKEN"));
    expect(await failureOf(() => callRoles("listRoles", { namePrefix: "p".repeat(65) }))).toEqual(
      invalid("name_prefix"),
    );
    expect(await failureOf(() => callRoles("listRoles", { pageSize: -1 }))).toEqual(invalid("page_size"));
  });
});

describe("user roles contract", () => {
  it("when a role is unknown then AssignUserRoles and ReplaceUserRoles name it in role_id and change nothing", async () => {
    const [a, b, userId] = [await newRole(), await newRole(), await newUser()];
    await callRoles("assignUserRoles", { userId, roleIds: [a.id] });
    const expected = { code: grpc.status.NOT_FOUND, reason: "ROLE_NOT_FOUND", metadata: { role_id: "no-such-role" } };
    expect(
      await detailedFailureOf(() => callRoles("assignUserRoles", { userId, roleIds: [b.id, "no-such-role"] })),
    ).toMatchObject(expected);
    expect(
      await detailedFailureOf(() => callRoles("replaceUserRoles", { userId, roleIds: [b.id, "no-such-role"] })),
    ).toMatchObject(expected);
    expect(await heldBy(userId)).toEqual([a.id]);
    expect((await callRoles<RolesReply>("replaceUserRoles", { userId, roleIds: [] })).roles).toEqual([]);
    expect(await heldBy(userId)).toEqual([]);
  });

  it("when the user is unknown then every user-roles RPC answers NOT_FOUND USER_NOT_FOUND", async () => {
    const role = await newRole();
    const calls: [string, object][] = [
      ["assignUserRoles", { roleIds: [role.id] }],
      ["removeUserRoles", { roleIds: [role.id] }],
      ["replaceUserRoles", { roleIds: [role.id] }],
      ["listUserRoles", {}],
      ["getUserPermissions", {}],
      ["getUserAccess", {}],
    ];
    for (const [method, request] of calls) {
      expect(await failureOf(() => callRoles(method, { userId: "no-such-user", ...request }))).toMatchObject(
        userNotFound,
      );
      expect(await failureOf(() => callRoles(method, request))).toEqual(invalid("user_id"));
    }
  });

  it("when role ids are missing, too many or malformed then INVALID_ARGUMENT names them and nothing is assigned", async () => {
    const [role, userId] = [await newRole(), await newUser()];
    const tooMany = Array.from({ length: 101 }, (_, i) => `r-${i}`);
    expect(await failureOf(() => callRoles("removeUserRoles", { userId, roleIds: [] }))).toEqual(invalid("role_ids"));
    expect(await failureOf(() => callRoles("assignUserRoles", { userId, roleIds: tooMany }))).toEqual(
      invalid("role_ids"),
    );
    expect(await failureOf(() => callRoles("replaceUserRoles", { userId, roleIds: tooMany }))).toEqual(
      invalid("role_ids"),
    );
    expect(await failureOf(() => callRoles("assignUserRoles", { userId, roleIds: [role.id, ""] }))).toEqual(
      invalid("role_ids[1]"),
    );
    expect(await failureOf(() => callRoles("assignUserRoles", { userId, roleIds: ["r".repeat(65)] }))).toEqual(
      invalid("role_ids[0]"),
    );
    expect(await heldBy(userId)).toEqual([]);
  });

  it("when a user's roles are paged then each comes once and a foreign token is INVALID_PAGE_TOKEN", async () => {
    const prefix = unique("ur");
    const roles = [];
    for (const s of ["c", "a", "b"]) roles.push(await newRole({ name: `${prefix}-${s}` }));
    const [userId, other] = [await newUser(), await newUser()];
    await callRoles("assignUserRoles", { userId, roleIds: roles.map((r) => r.id) });
    const first = await callRoles<RolesReply>("listUserRoles", { userId, pageSize: 2 });
    const rest = await callRoles<RolesReply>("listUserRoles", { userId, pageSize: 2, pageToken: first.nextPageToken });
    expect(first.totalSize).toBe(3);
    expect([...first.roles, ...rest.roles].map((r) => r.name)).toEqual(["a", "b", "c"].map((s) => `${prefix}-${s}`));
    expect(
      await failureOf(() => callRoles("listUserRoles", { userId: other, pageToken: first.nextPageToken })),
    ).toEqual(invalid("page_token", "INVALID_PAGE_TOKEN"));
  });

  it("when a role's users are paged with another role's token then INVALID_PAGE_TOKEN; an unknown role is NOT_FOUND", async () => {
    const [role, other] = [await newRole(), await newRole()];
    for (let i = 0; i < 2; i++) await callRoles("assignUserRoles", { userId: await newUser(), roleIds: [role.id] });
    const page = await callRoles<UsersPage>("listRoleUsers", { roleId: role.id, pageSize: 1 });
    expect(page.nextPageToken).not.toBe("");
    expect(
      await failureOf(() =>
        callRoles("listRoleUsers", { roleId: other.id, pageSize: 1, pageToken: page.nextPageToken }),
      ),
    ).toEqual(invalid("page_token", "INVALID_PAGE_TOKEN"));
    expect(await failureOf(() => callRoles("listRoleUsers", { roleId: "no-such-role" }))).toMatchObject(roleNotFound);
    expect(await failureOf(() => callRoles("listRoleUsers", {}))).toEqual(invalid("role_id"));
  });

  it("when a user holding roles is deleted then no role lists it and its logs stay listable", async () => {
    const [a, b, userId, stays] = [await newRole(), await newRole(), await newUser(), await newUser()];
    await callRoles("assignUserRoles", { userId, roleIds: [a.id, b.id] });
    await callRoles("assignUserRoles", { userId: stays, roleIds: [a.id] });
    await callUsers("deleteUser", { userId });
    for (const role of [a, b]) {
      const page = await callRoles<UsersPage>("listRoleUsers", { roleId: role.id });
      expect(page.users.map((u) => u.id)).not.toContain(userId);
      expect(page.totalSize).toBe(role === a ? 1 : 0);
    }
    expect(await failureOf(() => callRoles("listUserRoles", { userId }))).toMatchObject(userNotFound);
    const logs = await callUsers<{ userLogs: { event: string }[] }>("listUserLogs", { userId });
    expect(logs.userLogs.map((l) => l.event)).toEqual([
      "USER_LOG_EVENT_USER_DELETED",
      "USER_LOG_EVENT_ROLES_ASSIGNED",
      "USER_LOG_EVENT_USER_CREATED",
    ]);
  });
});

describe("batched user access contract", () => {
  interface Access {
    userId: string;
    suspended: boolean;
    permissions: string[];
  }
  const batch = (userIds: string[]) => callRoles<{ accesses: Access[] }>("batchGetUserAccess", { userIds });

  it("when several users are asked for then each existing one comes once, in order, with its state and permissions", async () => {
    const role = await newRole({ permissions: ["orders:read", "orders:write"] });
    const [a, b] = [await newUser(), await newUser()];
    await callRoles("assignUserRoles", { userId: b, roleIds: [role.id] });
    await callUsers("suspendUser", { userId: a });
    const { accesses } = await batch([b, "no-such-user", a, b]);
    expect(accesses.map(({ userId, suspended, permissions }) => ({ userId, suspended, permissions }))).toEqual([
      { userId: b, suspended: false, permissions: ["orders:read", "orders:write"] },
      { userId: a, suspended: true, permissions: [] },
    ]);
  });

  it("when the ids are missing, too many or malformed then INVALID_ARGUMENT names them", async () => {
    const userId = await newUser();
    expect(await failureOf(() => batch([]))).toEqual(invalid("user_ids"));
    expect(await failureOf(() => batch(Array.from({ length: 101 }, () => userId)))).toEqual(invalid("user_ids"));
    expect(await failureOf(() => batch([userId, ""]))).toEqual(invalid("user_ids[1]"));
    expect(await failureOf(() => batch(["u".repeat(65)]))).toEqual(invalid("user_ids[0]"));
  });
});
