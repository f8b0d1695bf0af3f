import { describe, expect, it } from "vitest";
import { isDomainError } from "@roster/runtime/domain-error";
import { decodePageToken, encodePageToken, pageSizeOf } from "./page-token.js";

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return isDomainError(err) ? err.reason : "other";
  }
}

describe("page tokens", () => {
  it("when a token is decoded with the same fingerprint then the cursor comes back", () => {
    const token = encodePageToken({ id: "abc", t: 5 }, "u1|");
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodePageToken(token, "u1|")).toEqual({ id: "abc", t: 5 });
    expect(decodePageToken("", "u1|")).toBeUndefined();
  });

  it("when a token is garbled or used with other parameters then INVALID_PAGE_TOKEN", () => {
    const token = encodePageToken({ id: "abc" }, "u1|");
    expect(reasonOf(() => decodePageToken(token, "u2|"))).toBe("INVALID_PAGE_TOKEN");
    expect(reasonOf(() => decodePageToken("!!garbage", "u1|"))).toBe("INVALID_PAGE_TOKEN");
    expect(reasonOf(() => decodePageToken(Buffer.from("null").toString("base64url"), "u1|"))).toBe("INVALID_PAGE_TOKEN");
  });

  it("when page_size is 0, huge or negative then default, cap or refusal", () => {
    expect(pageSizeOf(0)).toBe(20);
    expect(pageSizeOf(500)).toBe(100);
    expect(reasonOf(() => pageSizeOf(-1))).toBe("INVALID_ARGUMENT");
  });
});
