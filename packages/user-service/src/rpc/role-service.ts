import type { ServiceImpl } from "@connectrpc/connect";
import type { Role, RoleService } from "@roster/client";
import { actorOf } from "@roster/runtime";
import { invalidField } from "@roster/runtime/domain-error";
import type { RoleInput, Roles } from "../domain/roles.js";
import type { RoleRecord } from "../domain/role-store.js";
import { roleToProto, userToProto } from "./convert.js";

function roleInput(role: Role | undefined): RoleInput {
  if (role === undefined) throw invalidField("role", "is required");
  return { name: role.name, description: role.description, permissions: role.permissions };
}

/** RoleService handlers: translate requests, call the Roles use cases, shape the responses. */
export function createRoleServiceImpl(deps: {
  roles: Roles;
}): Omit<
  ServiceImpl<typeof RoleService>,
  "watchUserAccessChanges" | "acknowledgeUserAccessChanges" | "publishUserTokensChanged"
> {
  const { roles } = deps;
  const rolesOf = (list: RoleRecord[]) => ({ roles: list.map(roleToProto) });
  return {
    async createRole(request) {
      return { role: roleToProto(await roles.create(roleInput(request.role))) };
    },
    async getRole(request) {
      return { role: roleToProto(await roles.get(request.roleId)) };
    },
    async listRoles(request) {
      const page = await roles.list(request.namePrefix, request.pageSize, request.pageToken);
      return { ...rolesOf(page.items), nextPageToken: page.nextPageToken, totalSize: page.totalSize };
    },
    async updateRole(request) {
      const input = roleInput(request.role);
      const role = await roles.update(request.role?.id ?? "", input, request.updateMask?.paths ?? []);
      return { role: roleToProto(role) };
    },
    async deleteRole(request, ctx) {
      await roles.delete(request.roleId, actorOf(ctx));
      return {};
    },
    async assignUserRoles(request, ctx) {
      return rolesOf(await roles.assign(request.userId, request.roleIds, actorOf(ctx)));
    },
    async removeUserRoles(request, ctx) {
      return rolesOf(await roles.remove(request.userId, request.roleIds, actorOf(ctx)));
    },
    async replaceUserRoles(request, ctx) {
      return rolesOf(await roles.replace(request.userId, request.roleIds, actorOf(ctx)));
    },
    async listUserRoles(request) {
      const page = await roles.listUserRoles(request.userId, request.pageSize, request.pageToken);
      return { ...rolesOf(page.items), nextPageToken: page.nextPageToken, totalSize: page.totalSize };
    },
    async listRoleUsers(request) {
      const page = await roles.listRoleUsers(request.roleId, request.pageSize, request.pageToken, request.includeTotal);
      const now = new Date();
      return {
        users: page.items.map((u) => userToProto(u, now)),
        nextPageToken: page.nextPageToken,
        totalSize: page.totalSize,
        totalSizeExact: page.totalSizeExact,
      };
    },
    async getUserPermissions(request) {
      return roles.permissions(request.userId);
    },
    async getUserAccess(request) {
      return roles.access(request.userId);
    },
    async batchGetUserAccess(request) {
      return { accesses: await roles.accessOfMany(request.userIds) };
    },
    async listUserAccess(request) {
      return roles.listAccess(request.pageSize, request.pageToken);
    },
  };
}
