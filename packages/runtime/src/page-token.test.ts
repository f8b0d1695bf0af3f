import { describe, expect, it } from "vitest";
import { isDomainError } from "./domain-error.js";
import { decodePageToken, encodePageToken, maxPageTokenLength, pageSizeOf } from "./page-token.js";
import { reasonOf } from "./testing.js";

const tokenOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

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
    expect(reasonOf(() => decodePageToken(Buffer.from("null").toString("base64url"), "u1|"))).toBe(
      "INVALID_PAGE_TOKEN",
    );
  });

  it("when a token of one listing is used on another then INVALID_PAGE_TOKEN", () => {
    const rolesToken = encodePageToken({ k: "admin" }, "roles:");
    expect(reasonOf(() => decodePageToken(rolesToken, "pats|u1"))).toBe("INVALID_PAGE_TOKEN");
  });

  it("when a token is edited to carry operators, nulls or no cursor then INVALID_PAGE_TOKEN", () => {
    expect(reasonOf(() => decodePageToken(tokenOf({ c: { id: { $gt: "" } }, f: "u1|" }), "u1|"))).toBe(
      "INVALID_PAGE_TOKEN",
    );
    expect(reasonOf(() => decodePageToken(tokenOf({ c: { id: null }, f: "u1|" }), "u1|"))).toBe("INVALID_PAGE_TOKEN");
    expect(reasonOf(() => decodePageToken(tokenOf({ f: "u1|" }), "u1|"))).toBe("INVALID_PAGE_TOKEN");
    const token = encodePageToken({ id: "abc" }, "u1|");
    expect(reasonOf(() => decodePageToken(`${token.slice(0, -2)}!!`, "u1|"))).toBe("INVALID_PAGE_TOKEN");
  });

  it("when a well-formed token is longer than the cap then INVALID_PAGE_TOKEN naming the caller's field", () => {
    const long = encodePageToken({ id: "x".repeat(maxPageTokenLength) }, "u1|");
    expect(reasonOf(() => decodePageToken(long, "u1|"))).toBe("INVALID_PAGE_TOKEN");
    let error: unknown;
    try {
      decodePageToken(long, "u1|", "query.page_token");
    } catch (err) {
      error = err;
    }
    expect(isDomainError(error) && error.fieldViolations.map((v) => v.field)).toEqual(["query.page_token"]);
  });

  it("when page_size is 0, huge or negative then default, cap or refusal", () => {
    expect(pageSizeOf(0)).toBe(20);
    expect(pageSizeOf(500)).toBe(100);
    expect(reasonOf(() => pageSizeOf(-1))).toBe("INVALID_ARGUMENT");
  });
});
