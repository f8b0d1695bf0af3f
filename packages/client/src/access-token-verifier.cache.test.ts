import { errors, exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from "jose";
import * as jose from "jose";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createAccessTokenVerifier } from "./access-token-verifier.js";

// Counts full verifications (signature and claims), so a test can tell one from an answer out of the cache.
vi.mock("jose", async (original) => {
  const actual = await original<typeof jose>();
  return { ...actual, jwtVerify: vi.fn(actual.jwtVerify) };
});

const issuer = "roster";
const audience = "roster";

/** A key set the test edits: kid → the key object the verifier is given. */
let keySet: Map<string, CryptoKey>;

const verifier = (size?: number) =>
  createAccessTokenVerifier(
    {
      issuer,
      audience,
      keys: async (header) => {
        const key = header.kid === undefined ? undefined : keySet.get(header.kid);
        if (key === undefined) throw new errors.JWKSNoMatchingKey();
        return key;
      },
    },
    size === undefined ? {} : { size },
  );

async function newKey(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  keySet.set(kid, publicKey);
  return { kid, privateKey, publicJwk: await exportJWK(publicKey) };
}

function sign(
  key: { kid: string; privateKey: CryptoKey },
  exp = Math.floor(Date.now() / 1000) + 60,
  scope = "orders:read",
) {
  return new SignJWT({ scope })
    .setProtectedHeader({ alg: "EdDSA", kid: key.kid, typ: "at+jwt" })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject("u_1")
    .setJti("j1")
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(key.privateKey);
}

const fullVerifications = () => vi.mocked(jose.jwtVerify).mock.calls.length;

beforeEach(() => {
  keySet = new Map();
  vi.mocked(jose.jwtVerify).mockClear();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("verified-token cache", () => {
  it("when a token that passed is verified again then it is answered without a second signature check", async () => {
    const verify = verifier();
    const token = await sign(await newKey("k1"));
    const first = await verify(token);
    expect(await verify(token)).toEqual(first);
    expect(first?.scopes).toEqual(["orders:read"]);
    expect(fullVerifications()).toBe(1);
  });

  it("when the cache size is 0 then every call verifies in full", async () => {
    const verify = verifier(0);
    const token = await sign(await newKey("k1"));
    await verify(token);
    await verify(token);
    expect(fullVerifications()).toBe(2);
  });

  it("when any character of a cached token is changed then it is verified in full and refused", async () => {
    const verify = verifier();
    const token = await sign(await newKey("k1"));
    expect(await verify(token)).toBeDefined();
    const [header = "", payload = "", signature = ""] = token.split(".");
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as Record<string, unknown>;
    const widened = Buffer.from(JSON.stringify({ ...claims, scope: "orders:read roster:users:write" })).toString(
      "base64url",
    );
    const flipped = `${signature.slice(0, -2)}${signature.at(-2) === "A" ? "B" : "A"}${signature.at(-1)}`;
    expect(await verify(`${header}.${widened}.${signature}`)).toBeUndefined();
    expect(await verify(`${header}.${payload}.${flipped}`)).toBeUndefined();
    expect(fullVerifications()).toBe(3);
  });

  it("when a cached token reaches its exp then it resolves undefined, as jwtVerify would judge it", async () => {
    const verify = verifier();
    const exp = Math.floor(Date.now() / 1000) + 30;
    const token = await sign(await newKey("k1"), exp);
    expect(await verify(token)).toBeDefined();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime((exp - 1) * 1000 + 999);
    expect(await verify(token)).toBeDefined();
    vi.setSystemTime(exp * 1000);
    expect(await verify(token)).toBeUndefined();
  });

  it("when the token's key is removed from the key set then the cached token is refused", async () => {
    const verify = verifier();
    const key = await newKey("k1");
    const token = await sign(key);
    expect(await verify(token)).toBeDefined();
    keySet.delete("k1");
    expect(await verify(token)).toBeUndefined();
  });

  it("when the token's kid resolves to another key then the cached token is verified again against it and refused", async () => {
    const verify = verifier();
    const token = await sign(await newKey("k1"));
    expect(await verify(token)).toBeDefined();
    const other = await newKey("k2");
    keySet.set("k1", keySet.get("k2") as CryptoKey);
    expect(await verify(token)).toBeUndefined();
    expect(await verify(await sign({ kid: "k1", privateKey: other.privateKey }))).toBeDefined();
  });

  it("when the same key is resolved as a new object (a key set fetched again) then the token is verified again and still passes", async () => {
    const verify = verifier();
    const key = await newKey("k1");
    const token = await sign(key);
    await verify(token);
    keySet.set("k1", (await importJWK({ ...(key.publicJwk as JWK), alg: "EdDSA" }, "EdDSA")) as CryptoKey);
    expect(await verify(token)).toBeDefined();
    expect(fullVerifications()).toBe(2);
  });

  it("when one token is used over and over then each use only moves its entry, never deleting and storing it again", async () => {
    // A Map keeps a deleted entry in its key's hash chain until it is rehashed: refreshing one entry by delete and set
    // made every use of a busy token walk all its earlier uses (tens of µs per call at 100,000 entries).
    const verify = verifier(100);
    const key = await newKey("k1");
    const token = await sign(key, undefined, "orders:write");
    for (let i = 0; i < 50; i++) await verify(await sign(key, Math.floor(Date.now() / 1000) + 60 + i));
    await verify(token);
    const deletes = vi.spyOn(Map.prototype, "delete");
    const sets = vi.spyOn(Map.prototype, "set");
    try {
      for (let i = 0; i < 1_000; i++) expect((await verify(token))?.subject).toBe("u_1");
      expect(deletes).not.toHaveBeenCalled();
      expect(sets).not.toHaveBeenCalled();
    } finally {
      deletes.mockRestore();
      sets.mockRestore();
    }
    expect(fullVerifications()).toBe(51);
  });

  it("when more tokens are verified than the cache holds then the least recently used is verified again", async () => {
    const verify = verifier(2);
    const key = await newKey("k1");
    const now = Math.floor(Date.now() / 1000);
    const [a, b, c] = await Promise.all([sign(key, now + 60), sign(key, now + 61), sign(key, now + 62)]);
    for (const token of [a, b, a, c]) await verify(token);
    expect(fullVerifications()).toBe(3);
    await verify(a);
    await verify(c);
    expect(fullVerifications()).toBe(3);
    await verify(b);
    expect(fullVerifications()).toBe(4);
  });
});
