import { describe, expect, it } from "vitest";
import { isDomainError } from "./domain-error.js";
import {
  countedPage,
  decodePageToken,
  encodePageToken,
  listedBefore,
  maxCountedMatches,
  maxPageTokenLength,
  pageSizeOf,
  pageTotal,
} from "./page-token.js";
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

describe("totals counted only when asked", () => {
  it("when a page is not counted then its total is a lower bound from the pages before it, exact on the last page", () => {
    expect(pageTotal(undefined, 0, 20, true)).toEqual({ total: 21, exact: false });
    expect(pageTotal(undefined, 40, 20, true)).toEqual({ total: 61, exact: false });
    expect(pageTotal(undefined, 40, 7, false)).toEqual({ total: 47, exact: true });
    expect(pageTotal(1234, 40, 20, true)).toEqual({ total: 1234, exact: true });
  });

  it("when a count stopped past the most it counts then the total is a lower bound, exact only on a last page", () => {
    expect(pageTotal(maxCountedMatches, 0, 20, true)).toEqual({ total: maxCountedMatches, exact: true });
    expect(pageTotal(maxCountedMatches + 1, 0, 20, true)).toEqual({ total: maxCountedMatches + 1, exact: false });
    expect(pageTotal(maxCountedMatches + 1, 20_000, 20, true)).toEqual({ total: 20_021, exact: false });
    expect(pageTotal(maxCountedMatches + 1, 20_000, 7, false)).toEqual({ total: 20_007, exact: true });
  });

  it("when a listing reads one row past its page then the next token resumes after the last item and carries the items listed", () => {
    const page = countedPage(["a", "b", "c"], 2, 40, undefined, (last) => ({ id: last }), "f");
    expect(page).toMatchObject({ items: ["a", "b"], total: 43, exact: false });
    expect(decodePageToken(page.nextPageToken, "f")).toEqual({ id: "b", n: 42 });
    const lastPage = countedPage(["a", "b"], 2, 40, undefined, (last) => ({ id: last }), "f");
    expect(lastPage).toEqual({ items: ["a", "b"], nextPageToken: "", total: 42, exact: true });
    expect(countedPage(["a", "b", "c"], 2, 0, 7, (last) => ({ id: last }), "f")).toMatchObject({
      total: 7,
      exact: true,
    });
  });

  it("when a token carries a count the service could not have issued then it is INVALID_PAGE_TOKEN", () => {
    expect(listedBefore(undefined)).toBe(0);
    expect(listedBefore({ id: "x" })).toBe(0);
    expect(listedBefore({ id: "x", n: 40 })).toBe(40);
    for (const n of [-1, 1.5, "2", 2 ** 53]) {
      expect(() => listedBefore({ id: "x", n })).toThrowError(
        expect.objectContaining({ reason: "INVALID_PAGE_TOKEN" }),
      );
    }
  });
});
