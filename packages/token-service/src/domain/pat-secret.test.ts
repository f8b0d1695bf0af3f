import { describe, expect, it } from "vitest";
import { generatePatSecret, hashPatSecret, isWellFormedPat, patHint, patLength } from "./pat-secret.js";

describe("PAT secrets", () => {
  it("when generated then it has the prefix, the documented length and a valid checksum", () => {
    const secret = generatePatSecret();
    expect(secret).toMatch(/^roster_pat_[0-9A-Za-z]{49}$/);
    expect(secret).toHaveLength(patLength);
    expect(isWellFormedPat(secret)).toBe(true);
  });

  it("when generated many times then no two are alike", () => {
    const secrets = new Set(Array.from({ length: 1000 }, generatePatSecret));
    expect(secrets.size).toBe(1000);
  });

  it("when one character is changed then the checksum rejects it", () => {
    const secret = generatePatSecret();
    for (const index of [11, 30, 53, secret.length - 1]) {
      const original = secret[index]!;
      const typo = secret.slice(0, index) + (original === "a" ? "b" : "a") + secret.slice(index + 1);
      expect(isWellFormedPat(typo)).toBe(false);
    }
  });

  it("when truncated, extended or prefixed differently then it is malformed", () => {
    const secret = generatePatSecret();
    expect(isWellFormedPat(secret.slice(0, -1))).toBe(false);
    expect(isWellFormedPat(secret + "a")).toBe(false);
    expect(isWellFormedPat(secret.replace("roster_pat_", "roster_key_"))).toBe(false);
    expect(isWellFormedPat("")).toBe(false);
  });

  it("when hashed then a pepper changes the digest and the secret is not in it", () => {
    const secret = generatePatSecret();
    const plain = hashPatSecret(secret, undefined);
    expect(plain).toMatch(/^[0-9a-f]{64}$/);
    expect(hashPatSecret(secret, "pepper")).not.toBe(plain);
    expect(hashPatSecret(secret, undefined)).toBe(plain);
  });

  it("when hinted then only the prefix and the last four characters show", () => {
    const secret = generatePatSecret();
    expect(patHint(secret)).toBe(`roster_pat_…${secret.slice(-4)}`);
  });
});
