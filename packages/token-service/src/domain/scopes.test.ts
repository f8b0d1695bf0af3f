import { isDomainError } from "@roster/runtime/domain-error";
import { describe, expect, it } from "vitest";
import { grantedScopes, validateScopes } from "./scopes.js";

describe("grantedScopes", () => {
  const permissions = ["orders:read", "orders:write", "roster:users:read"];

  it("when nothing is requested and the PAT has no scopes then every permission is granted", () => {
    expect(grantedScopes([], [], permissions)).toEqual(permissions);
  });

  it("when the PAT has scopes then only those the user also holds are granted", () => {
    expect(grantedScopes([], ["orders:read", "billing:read"], permissions)).toEqual(["orders:read"]);
  });

  it("when scopes are requested then the grant is requested ∩ PAT ∩ permissions", () => {
    expect(
      grantedScopes(["orders:write", "orders:read", "billing:read"], ["orders:read", "billing:read"], permissions),
    ).toEqual(["orders:read"]);
  });

  it("when the user has no permissions then nothing is granted, whatever is asked", () => {
    expect(grantedScopes(["orders:read"], ["orders:read"], [])).toEqual([]);
  });

  it("when a stored permission is service-only or outside the grammar then it is never granted, even when asked for", () => {
    const stored = ["orders:read", "roster:logs:write", "Orders:Write"];
    expect(grantedScopes([], [], stored)).toEqual(["orders:read"]);
    expect(grantedScopes(["roster:logs:write"], ["roster:logs:write", "Orders:Write"], stored)).toEqual([]);
  });
});

describe("validateScopes", () => {
  it("when scopes repeat then they are de-duplicated and sorted", () => {
    expect(validateScopes("scopes", ["b", "a", "b"])).toEqual(["a", "b"]);
  });

  it("when an entry is empty, too long, has a space or upper case then INVALID_SCOPE names the entry", () => {
    try {
      validateScopes("scopes", ["ok", "", "x".repeat(129), "a b", "Roster:Users:Read"]);
      expect.unreachable();
    } catch (err) {
      expect(isDomainError(err) && err.reason).toBe("INVALID_SCOPE");
      expect(isDomainError(err) && err.fieldViolations.map((v) => v.field)).toEqual([
        "scopes[1]",
        "scopes[2]",
        "scopes[3]",
        "scopes[4]",
      ]);
    }
  });

  it("when an entry is service-only then SCOPE_NOT_GRANTABLE names it", () => {
    try {
      validateScopes("scopes", ["orders:read", "roster:logs:write"]);
      expect.unreachable();
    } catch (err) {
      expect(
        isDomainError(err) && { kind: err.kind, reason: err.reason, fields: err.fieldViolations.map((v) => v.field) },
      ).toEqual({
        kind: "invalid-argument",
        reason: "SCOPE_NOT_GRANTABLE",
        fields: ["scopes[1]"],
      });
    }
  });

  it("when there are more than 50 then the list is refused", () => {
    expect(() =>
      validateScopes(
        "scopes",
        Array.from({ length: 51 }, (_, i) => `s${i}`),
      ),
    ).toThrow(/at most 50/);
  });
});
