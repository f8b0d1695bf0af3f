import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { TokenService } from "./gen/roster/token/v1/token_service_pb.js";
import { RoleService } from "./gen/roster/user/v1/role_service_pb.js";
import { UserService } from "./gen/roster/user/v1/user_service_pb.js";
import {
  checkScopes,
  isGrantableScope,
  managementScopes,
  requiredScopes,
  selfScopes,
  selfServiceScopes,
  serviceScopes,
} from "./scopes.js";

const protoFiles = [
  "roster/user/v1/user_service.proto",
  "roster/user/v1/role_service.proto",
  "roster/token/v1/token_service.proto",
];

/** The scopes each RPC's comment documents, read from the contract itself. */
function documentedScopes() {
  const found: Record<string, string | null> = {};
  const self: Record<string, string> = {};
  const serviceOnly = new Set<string>();
  for (const file of protoFiles) {
    const text = readFileSync(fileURLToPath(new URL(`../../../proto/${file}`, import.meta.url)), "utf8");
    const pkg = /^package ([\w.]+);/m.exec(text)?.[1];
    const service = /^service (\w+) \{/m.exec(text)?.[1];
    const rpcs = text.matchAll(/((?:^ {2}\/\/.*\n)+)^ {2}rpc (\w+)\(/gm);
    for (const [, comment = "", name = ""] of rpcs) {
      const scope =
        /Scope: (none|`([a-z:]+)`)(?:, or `([a-z:]+)` for the caller's own tokens)?( \(service-only\))?/.exec(comment);
      const path = `/${pkg}.${service}/${name}`;
      found[path] = scope === null ? "undocumented" : (scope[2] ?? null);
      if (scope?.[3] !== undefined) self[path] = scope[3];
      if (scope?.[2] !== undefined && scope[4] !== undefined) serviceOnly.add(scope[2]);
    }
  }
  return { required: found, self, serviceOnly: [...serviceOnly] };
}

describe("requiredScopes", () => {
  it("when read against the proto comments then every method's scope is exactly the documented one", () => {
    expect(requiredScopes).toEqual(documentedScopes().required);
  });

  it("when read against the proto comments then the self-service and service-only scopes are exactly the documented ones", () => {
    const documented = documentedScopes();
    expect(selfScopes).toEqual(documented.self);
    expect(Object.keys(selfScopes).length).toBeGreaterThan(0);
    expect(serviceScopes).toEqual(documented.serviceOnly);
  });

  it("when listing the services then every method has an entry and only exchange needs no credential", () => {
    const paths = [UserService, RoleService, TokenService].flatMap((s) =>
      s.methods.map((m) => `/${s.typeName}/${m.name}`),
    );
    expect(Object.keys(requiredScopes).sort()).toEqual(paths.sort());
    const open = Object.entries(requiredScopes).filter(([, scope]) => scope === null);
    expect(open).toEqual([["/roster.token.v1.TokenService/ExchangePersonalAccessToken", null]]);
  });

  it("when a scope is required then a management or a service credential can hold it", () => {
    const grantable = new Set([...managementScopes, ...serviceScopes]);
    for (const scope of Object.values(requiredScopes)) if (scope !== null) expect(grantable).toContain(scope);
    expect(managementScopes).not.toContain("roster:logs:write");
  });

  it("when an API key is granted its scopes then none is service-only or self-service, and all are grantable", () => {
    for (const scope of managementScopes) {
      expect(serviceScopes).not.toContain(scope);
      expect(selfServiceScopes).not.toContain(scope);
      expect(isGrantableScope(scope)).toBe(true);
    }
  });
});

describe("checkScopes", () => {
  it("when given the application's own permissions and Roster's grantable scopes then they pass, de-duplicated and sorted", () => {
    expect(
      checkScopes("scopes", ["orders:read", "invoices:write", "roster:tokens:self", "orders:read", "a.b_c-1"], {
        max: 50,
      }),
    ).toEqual({
      ok: true,
      scopes: ["a.b_c-1", "invoices:write", "orders:read", "roster:tokens:self"],
    });
  });

  it("when an entry is outside the grammar then INVALID_SCOPE names each bad entry", () => {
    expect(
      checkScopes("scopes", ["ok", "Roster:Users:Read", "", "a b", "x".repeat(129), "é:read"], { max: 50 }),
    ).toMatchObject({
      ok: false,
      reason: "INVALID_SCOPE",
      violations: ["scopes[1]", "scopes[2]", "scopes[3]", "scopes[4]", "scopes[5]"].map((field) => ({ field })),
    });
    expect(checkScopes("scopes", ["x".repeat(128)], { max: 50 }).ok).toBe(true);
  });

  it("when an entry is service-only then SCOPE_NOT_GRANTABLE names it", () => {
    expect(
      checkScopes("role.permissions", ["orders:read", "roster:logs:write"], {
        max: 100,
        malformedReason: "INVALID_PERMISSION",
      }),
    ).toEqual({
      ok: false,
      reason: "SCOPE_NOT_GRANTABLE",
      violations: [
        { field: "role.permissions[1]", description: "roster:logs:write is service-only and cannot be granted" },
      ],
    });
  });

  it("when a malformed reason is given then a malformed entry carries it", () => {
    expect(checkScopes("role.permissions", ["Bad"], { max: 100, malformedReason: "INVALID_PERMISSION" })).toMatchObject(
      {
        reason: "INVALID_PERMISSION",
      },
    );
  });

  it("when the list is over its maximum then the list itself is named", () => {
    expect(checkScopes("scopes", ["a", "b", "c"], { max: 2 })).toMatchObject({
      ok: false,
      reason: "INVALID_ARGUMENT",
      violations: [{ field: "scopes" }],
    });
  });

  it("when a scope is service-only or outside the grammar then it is not grantable", () => {
    expect(isGrantableScope("roster:logs:write")).toBe(false);
    expect(isGrantableScope("Roster:Users:Read")).toBe(false);
    expect(isGrantableScope("orders:read")).toBe(true);
  });
});
