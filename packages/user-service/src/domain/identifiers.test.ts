import { describe, expect, it } from "vitest";
import { isDomainError } from "@roster/runtime/domain-error";
import { normaliseEmail, normalisePhone, normaliseUsername } from "./identifiers.js";

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (isDomainError(err)) return err.fieldViolations[0]?.field;
  }
  return undefined;
}

describe("identifiers", () => {
  it("when a username has capitals then its key is lower-case and the display kept", () => {
    expect(normaliseUsername("Ada.Lovelace", "username")).toEqual({ display: "Ada.Lovelace", key: "ada.lovelace" });
  });

  it("when a username has a space or is too long then the field is named", () => {
    expect(fieldOf(() => normaliseUsername("a b", "username"))).toBe("username");
    expect(fieldOf(() => normaliseUsername("x".repeat(129), "user.username"))).toBe("user.username");
  });

  it("when an email has capitals and spaces around then it is trimmed and lower-cased", () => {
    expect(normaliseEmail("  Ada@Example.COM ", "primary_email")).toBe("ada@example.com");
    expect(fieldOf(() => normaliseEmail("not-an-email", "primary_email"))).toBe("primary_email");
  });

  it("when a phone is written with separators or 00 then it becomes E.164", () => {
    expect(normalisePhone("+49 (30) 123-456", "primary_phone")).toBe("+4930123456");
    expect(normalisePhone("0049 30 123456", "primary_phone")).toBe("+4930123456");
  });

  it("when a phone lacks a country code or is too long then it is refused", () => {
    expect(fieldOf(() => normalisePhone("030123456", "primary_phone"))).toBe("primary_phone");
    expect(fieldOf(() => normalisePhone("+1234567890123456", "primary_phone"))).toBe("primary_phone");
  });
});
