import { describe, expect, it } from "vitest";
import { isDomainError } from "@roster/runtime/domain-error";
import { checkPassword } from "./password-policy.js";

const policy = { minLength: 8, maxLength: 16 };

function reasonOf(password: string): string | undefined {
  try {
    checkPassword(policy, password, "password");
    return undefined;
  } catch (err) {
    return isDomainError(err) ? err.reason : "other";
  }
}

describe("checkPassword", () => {
  it("when the password is long enough and uncommon then it passes", () => {
    expect(reasonOf("tangerine-kettle")).toBeUndefined();
  });

  it("when it breaks a rule then the reason says which", () => {
    expect(reasonOf("short")).toBe("PASSWORD_TOO_SHORT");
    expect(reasonOf("x".repeat(17))).toBe("PASSWORD_TOO_LONG");
    expect(reasonOf("Password123")).toBe("PASSWORD_TOO_COMMON");
    expect(reasonOf("qwertyuiop")).toBe("PASSWORD_TOO_COMMON");
  });

  it("when a password uses astral characters then each counts once", () => {
    expect(reasonOf("🔑".repeat(8))).toBeUndefined();
  });
});
