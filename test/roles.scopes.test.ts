import { describe, expect, it } from "vitest";
import { grpc } from "./helpers/plain-grpc.js";
import { callRoles, type RoleReply } from "./helpers/roles.js";
import { failureOf, unique } from "./helpers/users.js";

interface RolesReply {
  roles: { id: string }[];
}

describe("role permissions and service-only scopes", () => {
  it("when a role is created with roster:logs:write then INVALID_ARGUMENT SCOPE_NOT_GRANTABLE names it and no role is written", async () => {
    const name = unique("audit-");
    expect(
      await failureOf(() =>
        callRoles("createRole", { role: { name, permissions: ["orders:read", "roster:logs:write"] } }),
      ),
    ).toEqual({
      code: grpc.status.INVALID_ARGUMENT,
      reason: "SCOPE_NOT_GRANTABLE",
      fields: ["role.permissions[1]"],
    });
    expect((await callRoles<RolesReply>("listRoles", { namePrefix: name })).roles).toEqual([]);
  });

  it("when a role is updated to carry roster:logs:write then INVALID_ARGUMENT SCOPE_NOT_GRANTABLE names it and nothing changes", async () => {
    const { role } = await callRoles<RoleReply>("createRole", {
      role: { name: unique("audit-"), permissions: ["orders:read"] },
    });
    const update = {
      role: { id: role.id, description: "now", permissions: ["roster:logs:write"] },
      updateMask: { paths: ["description", "permissions"] },
    };
    expect(await failureOf(() => callRoles("updateRole", update))).toEqual({
      code: grpc.status.INVALID_ARGUMENT,
      reason: "SCOPE_NOT_GRANTABLE",
      fields: ["role.permissions[0]"],
    });
    expect((await callRoles<RoleReply>("getRole", { roleId: role.id })).role).toMatchObject({
      description: "",
      permissions: ["orders:read"],
    });
  });

  it("when a role holds the application's own and the self-service scopes then they are accepted as they are", async () => {
    const permissions = ["invoices:write", "orders:read", "roster:tokens:self"];
    const { role } = await callRoles<RoleReply>("createRole", { role: { name: unique("app-"), permissions } });
    expect(role.permissions).toEqual(permissions);
  });
});
