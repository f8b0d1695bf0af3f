import { describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { isDomainError } from "./domain-error.js";
import { maxIdLength, requireId } from "./resource-id.js";

function refusalOf(field: string, value: string) {
  try {
    requireId(field, value);
    return undefined;
  } catch (err) {
    return isDomainError(err)
      ? { kind: err.kind, reason: err.reason, fields: err.fieldViolations.map((v) => v.field) }
      : err;
  }
}

describe("requireId", () => {
  it("when the id is one the services issue then it comes back unchanged", () => {
    const id = randomUUID();
    expect(requireId("user_id", id)).toBe(id);
    expect(requireId("token_id", `pat_${"0".repeat(24)}`)).toBe(`pat_${"0".repeat(24)}`);
    expect(requireId("user_id", "u".repeat(maxIdLength))).toHaveLength(64);
  });

  it("when the id is empty or over 64 characters then INVALID_ARGUMENT naming the caller's field", () => {
    const refused = { kind: "invalid-argument", reason: "INVALID_ARGUMENT", fields: ["personal_access_token.user_id"] };
    expect(refusalOf("personal_access_token.user_id", "")).toEqual(refused);
    expect(refusalOf("personal_access_token.user_id", "u".repeat(65))).toEqual(refused);
  });
});
