import type { Db } from "mongodb";
import { beforeEach, describe, expect, it } from "vitest";
import { createSigningKeyRepository } from "../storage/signing-key-repository.js";
import { useTestMongo } from "../test-support.js";
import { createAccessTokens } from "./access-tokens.js";
import { createKeyEncryption } from "./key-encryption.js";
import { createKeyRing, publishedKeys } from "./signing-keys.js";

const secret = "0123456789abcdef0123456789abcdef";
const mongo = useTestMongo();
let db: Db;

beforeEach(async () => {
  db = mongo.db;
});

const ring = (options: { secret?: string; now?: () => Date } = {}) =>
  createKeyRing({
    repository: createSigningKeyRepository(db),
    encryption: createKeyEncryption(options.secret ?? secret),
    accessTokenTtlSeconds: 900,
    refreshMs: 0,
    now: options.now,
  });

describe("key ring", () => {
  it("when two instances start at once then they agree on one key", async () => {
    const [a, b] = [ring(), ring()];
    await Promise.all([a.initialise(), b.initialise()]);
    expect(await db.collection("signing_keys").countDocuments({})).toBe(1);
    expect((await a.active()).kid).toBe((await b.active()).kid);
  });

  it("when stored then the private key is sealed, not plain", async () => {
    await ring().initialise();
    const doc = await db.collection("signing_keys").findOne({});
    expect(String(doc?.sealedPrivateKey)).toMatch(/^v1\./);
    expect(doc?.publicJwk).toMatchObject({ kty: "OKP", crv: "Ed25519" });
  });

  it("when two instances rotate at once then both end on the same new active key", async () => {
    const [a, b] = [ring(), ring()];
    await a.initialise();
    const first = (await a.active()).kid;
    const [ra, rb] = await Promise.all([a.rotate(), b.rotate()]);
    expect(ra.kid).toBe(rb.kid);
    expect(ra.kid).not.toBe(first);
    expect((await a.published()).map((k) => k.kid)).toEqual([ra.kid, first]);
  });

  it("when a token was signed before a rotation then it still verifies after it, and the new one too", async () => {
    const keyRing = ring();
    await keyRing.initialise();
    const tokens = createAccessTokens({ keyRing, issuer: "iss", audience: "aud", ttlSeconds: 900 });
    const before = await tokens.mint({ userId: "u1", scopes: ["a"], patId: "p1", tokenEpoch: 0 });
    await keyRing.rotate();
    const after = await tokens.mint({ userId: "u1", scopes: ["a"], patId: "p1", tokenEpoch: 0 });
    expect((await tokens.verify(before.token))?.sub).toBe("u1");
    expect((await tokens.verify(after.token))?.clientId).toBe("p1");
  });

  it("when another instance rotates then a token with the new kid is found by a fresh lookup", async () => {
    const a = ring();
    await a.initialise();
    const b = createKeyRing({ repository: createSigningKeyRepository(db), encryption: createKeyEncryption(secret), accessTokenTtlSeconds: 900 });
    await b.initialise();
    await a.rotate();
    const token = await createAccessTokens({ keyRing: a, issuer: "i", audience: "a", ttlSeconds: 60 }).mint({ userId: "u", scopes: [], patId: "p", tokenEpoch: 0 });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await createAccessTokens({ keyRing: b, issuer: "i", audience: "a", ttlSeconds: 60 }).verify(token.token)).toBeDefined();
  });

  it("when the configured secret is not the one the key was sealed with then start-up fails naming the variable", async () => {
    await ring().initialise();
    await expect(ring({ secret: secret.replace("0", "x") }).initialise()).rejects.toThrow(/ROSTER_SIGNING_KEY_SECRET/);
  });
});

describe("publishedKeys", () => {
  const key = (generation: number, createdMs: number) => ({
    kid: `k${generation}`,
    generation,
    alg: "EdDSA" as const,
    publicJwk: { kty: "OKP", crv: "Ed25519", x: "x" },
    sealedPrivateKey: "",
    createTime: new Date(createdMs),
  });

  it("when a key's successor is older than the retention then it and older keys are dropped", () => {
    const keys = [key(3, 10_000), key(2, 5_000), key(1, 0)];
    expect(publishedKeys(keys, 10_500, 1_000).map((k) => k.kid)).toEqual(["k3", "k2"]);
    expect(publishedKeys(keys, 5_500, 1_000).map((k) => k.kid)).toEqual(["k3", "k2", "k1"]);
    expect(publishedKeys(keys, 20_000, 1_000).map((k) => k.kid)).toEqual(["k3"]);
  });
});
