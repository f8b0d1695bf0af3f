import { describe, expect, it } from "vitest";
import { createApiKeyMatcher, matchApiKey, parseApiKeys, sha256 } from "./api-keys.js";

const raw = "roster_key_0123456789abcdef";

describe("parseApiKeys", () => {
  it("when given raw keys and sha256 digests then both match their secret", () => {
    const other = "another-key-that-is-long";
    const keys = parseApiKeys(`${raw}, sha256:${sha256(other).toString("hex")}`);
    expect(keys).toHaveLength(2);
    expect(matchApiKey(keys, raw)).toBe(keys[0]);
    expect(matchApiKey(keys, other)).toBe(keys[1]);
  });

  it("when a secret is wrong, truncated or empty then nothing matches", () => {
    const keys = parseApiKeys(raw);
    expect(matchApiKey(keys, raw.slice(0, -1))).toBeUndefined();
    expect(matchApiKey(keys, `${raw}x`)).toBeUndefined();
    expect(matchApiKey(keys, "")).toBeUndefined();
  });

  it("when a digest is malformed or a raw key short then the entry is named by position, not by value", () => {
    expect(() => parseApiKeys(`${raw},sha256:abc`)).toThrow("entry 2 must be sha256: followed by 64 hex digits");
    expect(() => parseApiKeys("tiny")).toThrow("entry 1 is shorter than 16 characters");
    expect(() => parseApiKeys(`${raw},,${raw}`)).toThrow("entry 2 is empty");
  });

  it("when the list is empty then there are no keys", () => {
    expect(parseApiKeys("")).toEqual([]);
  });

  it("when keys are listed then each gets a stable non-secret id from its digest", () => {
    const [key] = parseApiKeys(raw);
    expect(key?.id).toBe(sha256(raw).toString("hex").slice(0, 12));
  });
});

describe("createApiKeyMatcher", () => {
  const other = "another-key-that-is-long";

  it("when a key is presented again then it matches the same key, remembered once", () => {
    const keys = parseApiKeys(`${raw},${other}`);
    const matcher = createApiKeyMatcher(keys);
    expect(matcher.match(raw)).toBe(keys[0]);
    expect(matcher.match(raw)).toBe(keys[0]);
    expect(matcher.match(other)).toBe(keys[1]);
    expect(matcher.remembered).toBe(2);
  });

  it("when wrong credentials are presented, however many, then none matches and none is remembered", () => {
    const matcher = createApiKeyMatcher(parseApiKeys(raw));
    matcher.match(raw);
    for (let i = 0; i < 1_000; i++) expect(matcher.match(`${raw}${i}`)).toBeUndefined();
    expect(matcher.match(raw.slice(0, -1))).toBeUndefined();
    expect(matcher.remembered).toBe(1);
  });
});
