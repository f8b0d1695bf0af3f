import { afterAll, describe, expect, it } from "vitest";
import { closeClient, createRoleServiceClient } from "@roster/client";
import { grpc } from "./helpers/plain-grpc.js";
import { callRoles, type RoleReply } from "./helpers/roles.js";
import { stackInfo } from "./helpers/stack-info.js";
import { callUsers, failureOf, unique } from "./helpers/users.js";

const stack = stackInfo();
const client = createRoleServiceClient({
  transport: "grpc-js",
  address: `127.0.0.1:${stack.user.grpc}`,
  credential: stack.apiKey,
});
afterAll(() => closeClient(client));

interface RolesReply {
  roles: { id: string; name: string }[];
}

async function newRole(permissions: string[], prefix = "role-"): Promise<RoleReply["role"]> {
  return (
    await callRoles<RoleReply>("createRole", { role: { name: unique(prefix), description: "test role", permissions } })
  ).role;
}

async function newUser(): Promise<string> {
  return (await callUsers<{ user: { id: string } }>("createUser", { username: unique("rbac_") })).user.id;
}

describe("role CRUD", () => {
  it("when a role is created over plain gRPC then it reads back with sorted, de-duplicated permissions", async () => {
    const role = await newRole(["app:write", "app:read", "app:write"]);
    expect(role.permissions).toEqual(["app:read", "app:write"]);
    expect((await callRoles<RoleReply>("getRole", { roleId: role.id })).role).toMatchObject({
      id: role.id,
      name: role.name,
    });
  });

  it("when a name is taken in another case then ALREADY_EXISTS ROLE_NAME_TAKEN names role.name", async () => {
    const role = await newRole([]);
    expect(await failureOf(() => callRoles("createRole", { role: { name: role.name.toUpperCase() } }))).toEqual({
      code: grpc.status.ALREADY_EXISTS,
      reason: "ROLE_NAME_TAKEN",
      fields: ["role.name"],
    });
  });

  it("when input is bad then INVALID_ARGUMENT names the field and no role is written", async () => {
    const name = unique("bad-");
    expect(await failureOf(() => callRoles("createRole", { role: { name, permissions: ["ok", "Not OK"] } }))).toEqual({
      code: grpc.status.INVALID_ARGUMENT,
      reason: "INVALID_PERMISSION",
      fields: ["role.permissions[1]"],
    });
    expect((await failureOf(() => callRoles("createRole", { role: { name: "" } }))).fields).toEqual(["role.name"]);
    expect((await failureOf(() => callRoles("createRole", {}))).fields).toEqual(["role"]);
    const listed = await callRoles<RolesReply>("listRoles", { namePrefix: name });
    expect(listed.roles).toEqual([]);
  });

  it("when updated through the client package with a mask then only those fields change", async () => {
    const role = await newRole(["a:read"]);
    const { role: updated } = await client.updateRole({
      role: { id: role.id, name: "ignored", description: "changed", permissions: ["b:write"] },
      updateMask: { paths: ["description", "permissions"] },
    });
    expect(updated).toMatchObject({ name: role.name, description: "changed", permissions: ["b:write"] });
    expect(
      await failureOf(() => callRoles("updateRole", { role: { id: role.id }, updateMask: { paths: ["id"] } })),
    ).toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      reason: "INVALID_UPDATE_MASK",
    });
  });

  it("when listing by prefix in pages then every role comes once, ordered by name", async () => {
    const prefix = unique("pg");
    const names = ["c", "A", "b"].map((s) => `${prefix}-${s}`);
    for (const name of names) await callRoles("createRole", { role: { name } });
    const seen: string[] = [];
    let pageToken = "";
    for (let i = 0; i < 5; i++) {
      const page = await client.listRoles({ namePrefix: prefix.toUpperCase(), pageSize: 2, pageToken });
      expect(page.totalSize).toBe(3);
      seen.push(...page.roles.map((r) => r.name));
      pageToken = page.nextPageToken;
      if (pageToken === "") break;
    }
    expect(seen).toEqual([`${prefix}-A`, `${prefix}-b`, `${prefix}-c`]);
  });
});

describe("user roles", () => {
  it("when a user is suspended and unsuspended then GetUserAccess reports its state, a raised token epoch and its permissions", async () => {
    const [a, b, userId] = await Promise.all([newRole(["docs:read"]), newRole(["docs:read", "docs:write"]), newUser()]);
    await callRoles("assignUserRoles", { userId, roleIds: [a.id, b.id] });
    expect(await client.getUserAccess({ userId })).toMatchObject({
      userId,
      suspended: false,
      tokenEpoch: 0,
      permissions: ["docs:read", "docs:write"],
    });
    await callUsers("suspendUser", { userId });
    expect(await client.getUserAccess({ userId })).toMatchObject({ suspended: true, tokenEpoch: 1 });
    await callUsers("unsuspendUser", { userId });
    expect(await client.getUserAccess({ userId })).toMatchObject({ suspended: false, tokenEpoch: 1 });
  });

  it("when roles are assigned twice then it is idempotent, permissions are the union and the log records it once", async () => {
    const [a, b, userId] = await Promise.all([
      newRole(["docs:read", "docs:write"]),
      newRole(["docs:read", "admin:all"]),
      newUser(),
    ]);
    await callRoles("assignUserRoles", { userId, roleIds: [a.id, b.id] });
    const again = await callRoles<RolesReply>("assignUserRoles", { userId, roleIds: [a.id] });
    expect(again.roles.map((r) => r.id).sort()).toEqual([a.id, b.id].sort());
    expect(await client.getUserPermissions({ userId })).toMatchObject({
      permissions: ["admin:all", "docs:read", "docs:write"],
    });
    const logs = await callUsers<{ userLogs: { event: string; payload: { roleIds: string[] } }[] }>("listUserLogs", {
      userId,
      events: ["USER_LOG_EVENT_ROLES_ASSIGNED"],
    });
    expect(logs.userLogs).toHaveLength(1);
    expect(logs.userLogs[0]?.event).toBe("USER_LOG_EVENT_ROLES_ASSIGNED");
  });

  it("when the user or a role is unknown then NOT_FOUND says which and nothing is assigned", async () => {
    const [role, userId] = await Promise.all([newRole([]), newUser()]);
    expect(
      await failureOf(() => callRoles("assignUserRoles", { userId: "no-such-user", roleIds: [role.id] })),
    ).toMatchObject({
      code: grpc.status.NOT_FOUND,
      reason: "USER_NOT_FOUND",
    });
    expect(
      await failureOf(() => callRoles("assignUserRoles", { userId, roleIds: [role.id, "no-such-role"] })),
    ).toMatchObject({
      code: grpc.status.NOT_FOUND,
      reason: "ROLE_NOT_FOUND",
    });
    expect(await failureOf(() => callRoles("assignUserRoles", { userId, roleIds: [] }))).toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      fields: ["role_ids"],
    });
    expect((await callRoles<RolesReply>("listUserRoles", { userId })).roles).toEqual([]);
  });

  it("when roles are replaced and removed then the user holds exactly what remains", async () => {
    const [a, b, c, userId] = await Promise.all([newRole([]), newRole([]), newRole([]), newUser()]);
    await callRoles("assignUserRoles", { userId, roleIds: [a.id, b.id] });
    const replaced = await callRoles<RolesReply>("replaceUserRoles", { userId, roleIds: [b.id, c.id] });
    expect(replaced.roles.map((r) => r.id).sort()).toEqual([b.id, c.id].sort());
    const removed = await callRoles<RolesReply>("removeUserRoles", { userId, roleIds: [b.id, "unknown"] });
    expect(removed.roles.map((r) => r.id)).toEqual([c.id]);
    expect((await callRoles<{ roleIds: string[] }>("getUserPermissions", { userId })).roleIds).toEqual([c.id]);
  });

  it("when a role is deleted then its users lose it and its user list is gone", async () => {
    const [role, u1, u2] = await Promise.all([newRole(["x:read"]), newUser(), newUser()]);
    for (const userId of [u1, u2]) await callRoles("assignUserRoles", { userId, roleIds: [role.id] });
    const page = await client.listRoleUsers({ roleId: role.id, pageSize: 1 });
    // Not counted unless asked for: this page and one more, a lower bound.
    expect([page.totalSize, page.totalSizeExact]).toEqual([2, false]);
    const counted = await client.listRoleUsers({ roleId: role.id, pageSize: 1, includeTotal: true });
    expect([counted.totalSize, counted.totalSizeExact]).toEqual([2, true]);
    const rest = await client.listRoleUsers({ roleId: role.id, pageSize: 1, pageToken: page.nextPageToken });
    expect([...page.users, ...rest.users].map((u) => u.id).sort()).toEqual([u1, u2].sort());
    await callRoles("deleteRole", { roleId: role.id });
    expect((await callRoles<{ permissions: string[] }>("getUserPermissions", { userId: u1 })).permissions).toEqual([]);
    expect(await failureOf(() => callRoles("listRoleUsers", { roleId: role.id }))).toMatchObject({
      code: grpc.status.NOT_FOUND,
      reason: "ROLE_NOT_FOUND",
    });
  });
});
