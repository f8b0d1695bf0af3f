import { describe, expect, it } from "vitest";
import { encodePageToken } from "@roster/runtime/page-token";
import { reasonOf } from "@roster/runtime/testing";
import { decodePatPageToken, encodePatPageToken } from "./pat-page-token.js";

const after = { createTime: new Date("2026-01-02T03:04:05.678Z"), id: "pat_0123" };

describe("PAT page tokens", () => {
  it("when a token is decoded for the user it was issued for then the cursor comes back", () => {
    expect(decodePatPageToken(encodePatPageToken("u1", after), "u1")).toEqual(after);
    expect(decodePatPageToken("", "u1")).toBeUndefined();
  });

  it("when a token is used on another user's tokens or another listing then INVALID_PAGE_TOKEN", () => {
    expect(reasonOf(() => decodePatPageToken(encodePatPageToken("u1", after), "u2"))).toBe("INVALID_PAGE_TOKEN");
    expect(reasonOf(() => decodePatPageToken(encodePageToken({ t: 1, i: "pat_0123" }, "roles:"), "u1"))).toBe(
      "INVALID_PAGE_TOKEN",
    );
  });

  it("when a token's cursor lacks a time or an id then INVALID_PAGE_TOKEN", () => {
    expect(reasonOf(() => decodePatPageToken(encodePageToken({ i: "pat_0123" }, "pats|u1"), "u1"))).toBe(
      "INVALID_PAGE_TOKEN",
    );
    expect(reasonOf(() => decodePatPageToken(encodePageToken({ t: "soon", i: "pat_0123" }, "pats|u1"), "u1"))).toBe(
      "INVALID_PAGE_TOKEN",
    );
  });

  it("when a well-formed token is longer than the cap then INVALID_PAGE_TOKEN", () => {
    const long = encodePageToken({ t: 1, i: "x".repeat(100_000) }, "pats|u1");
    expect(reasonOf(() => decodePatPageToken(long, "u1"))).toBe("INVALID_PAGE_TOKEN");
  });
});
