import { describe, expect, it } from "vitest";
import { reasonOf as reasonOfThrown } from "@roster/runtime/testing";
import { checkPassword } from "./password-policy.js";

const policy = { minLength: 8, maxLength: 16 };

const reasonOf = (password: string) => reasonOfThrown(() => checkPassword(policy, password, "password"));

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
