import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { TokenService } from "./gen/roster/token/v1/token_service_pb.js";
import { RoleService } from "./gen/roster/user/v1/role_service_pb.js";
import { UserService } from "./gen/roster/user/v1/user_service_pb.js";
import { managementScopes, requiredScopes, serviceScopes } from "./scopes.js";

const protoFiles = ["roster/user/v1/user_service.proto", "roster/user/v1/role_service.proto", "roster/token/v1/token_service.proto"];

/** The scope each RPC's comment documents, read from the contract itself. */
function documentedScopes(): Record<string, string | null> {
  const found: Record<string, string | null> = {};
  for (const file of protoFiles) {
    const text = readFileSync(fileURLToPath(new URL(`../../../proto/${file}`, import.meta.url)), "utf8");
    const pkg = /^package ([\w.]+);/m.exec(text)?.[1];
    const service = /^service (\w+) \{/m.exec(text)?.[1];
    const rpcs = text.matchAll(/((?:^ {2}\/\/.*\n)+)^ {2}rpc (\w+)\(/gm);
    for (const [, comment = "", name = ""] of rpcs) {
      const scope = /Scope: (none|`([a-z:]+)`)/.exec(comment);
      found[`/${pkg}.${service}/${name}`] = scope === null ? "undocumented" : (scope[2] ?? null);
    }
  }
  return found;
}

describe("requiredScopes", () => {
  it("when read against the proto comments then every method's scope is exactly the documented one", () => {
    expect(requiredScopes).toEqual(documentedScopes());
  });

  it("when listing the services then every method has an entry and only exchange needs no credential", () => {
    const paths = [UserService, RoleService, TokenService].flatMap((s) => s.methods.map((m) => `/${s.typeName}/${m.name}`));
    expect(Object.keys(requiredScopes).sort()).toEqual(paths.sort());
    const open = Object.entries(requiredScopes).filter(([, scope]) => scope === null);
    expect(open).toEqual([["/roster.token.v1.TokenService/ExchangePersonalAccessToken", null]]);
  });

  it("when a scope is required then a management or a service credential can hold it", () => {
    const grantable = new Set([...managementScopes, ...serviceScopes]);
    for (const scope of Object.values(requiredScopes)) if (scope !== null) expect(grantable).toContain(scope);
    expect(managementScopes).not.toContain("roster:logs:write");
  });
});
