import { describe, expect, it } from "vitest";
import { hashResetCode, newResetCode } from "./reset-codes.js";

describe("reset codes", () => {
  it("when a code is made then it is URL-safe, 256-bit and stored only as its hash", () => {
    const { code, hash } = newResetCode();
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hash).toBe(hashResetCode(code));
    expect(hash).not.toContain(code);
    expect(newResetCode().code).not.toBe(code);
  });
});
