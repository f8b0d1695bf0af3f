import { exportJWK, generateKeyPair, SignJWT } from "jose";
import type { Db } from "mongodb";
import { createLogger } from "@roster/runtime";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { testKeyRing, useTestMongo } from "../testing.js";
import { createAccessTokens } from "./access-tokens.js";
import { publishedKeys, type KeyRingOptions } from "./signing-keys.js";

const secret = "0123456789abcdef0123456789abcdef";
const mongo = useTestMongo();
let db: Db;

beforeEach(async () => {
  db = mongo.db;
});

const ring = (options: Partial<KeyRingOptions> & { secret?: string } = {}) =>
  testKeyRing(db, { secret, refreshMs: 0, ...options });

/** The stored key documents, typed as far as these tests look into them. */
const stored = () =>
  db.collection<{ _id: string; generation: number; mac?: unknown; [field: string]: unknown }>("signing_keys");

/** A logger that records what is logged at warn and error level. */
function recordingLogger() {
  const logger = createLogger("token-service-test", "silent");
  return { logger, warn: vi.spyOn(logger, "warn"), error: vi.spyOn(logger, "error") };
}

/** A record as an attacker with write access to the database would insert it: their own public key, no valid MAC. */
async function forgedRecord(kid: string, generation: number, mac: unknown) {
  const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  const { kty, crv, x } = await exportJWK(publicKey);
  const record = {
    _id: kid,
    generation,
    alg: "EdDSA",
    publicJwk: { kty, crv, x },
    sealedPrivateKey: "v1.AAAA.AAAA.AAAA",
    createTime: new Date(),
    mac,
  };
  const sign = () =>
    new SignJWT({ scope: "a" })
      .setProtectedHeader({ alg: "EdDSA", kid, typ: "at+jwt" })
      .setIssuer("iss")
      .setAudience("aud")
      .setSubject("u1")
      .setJti("j1")
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(privateKey);
  return { record, sign };
}

describe("key ring", () => {
  it("when two instances start at once then they agree on one key", async () => {
    const [a, b] = [ring(), ring()];
    await Promise.all([a.initialise(), b.initialise()]);
    expect(await db.collection("signing_keys").countDocuments({})).toBe(1);
    expect((await a.active()).kid).toBe((await b.active()).kid);
  });

  it("when the database loses every key after start then the next signing creates one MAC'd key both instances agree on", async () => {
    const [a, b] = [ring(), ring()];
    await Promise.all([a.initialise(), b.initialise()]);
    const before = (await a.active()).kid;
    await db.dropDatabase();
    const [ka, kb] = await Promise.all([a.active(), b.active()]);
    expect(ka.kid).toBe(kb.kid);
    expect(ka.kid).not.toBe(before);
    const docs = await stored().find({}).toArray();
    expect(docs.map((d) => d._id)).toEqual([ka.kid]);
    expect(docs[0]?.mac).toBeDefined();
    expect((await db.collection("signing_keys").listIndexes().toArray()).map((i) => i.name)).toContain(
      "generation_unique",
    );
    const tokens = createAccessTokens({ keyRing: b, issuer: "iss", audience: "aud", ttlSeconds: 60 });
    const minted = await tokens.mint({ userId: "u1", scopes: ["a"], patId: "p1", tokenEpoch: 0, notAfter: undefined });
    expect(
      (await createAccessTokens({ keyRing: a, issuer: "iss", audience: "aud", ttlSeconds: 60 }).verify(minted.token))
        ?.sub,
    ).toBe("u1");
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
    const b = testKeyRing(db, { secret });
    await b.initialise();
    await a.rotate();
    const token = await createAccessTokens({ keyRing: a, issuer: "i", audience: "a", ttlSeconds: 60 }).mint({
      userId: "u",
      scopes: [],
      patId: "p",
      tokenEpoch: 0,
    });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(
      await createAccessTokens({ keyRing: b, issuer: "i", audience: "a", ttlSeconds: 60 }).verify(token.token),
    ).toBeDefined();
  });

  it("when the configured secret is not the one the keys were made with then start-up fails naming the variable and adds no key", async () => {
    await ring().initialise();
    const wrong = secret.replace("0", "x");
    await expect(ring({ secret: wrong }).initialise()).rejects.toThrow(/ROSTER_SIGNING_KEY_SECRET/);
    await stored().updateMany({}, { $unset: { mac: "" } });
    await expect(ring({ secret: wrong }).initialise()).rejects.toThrow(/ROSTER_SIGNING_KEY_SECRET/);
    expect(await stored().countDocuments({})).toBe(1);
  });

  it("when a stored record has no MAC or a wrong one then it is never published, verified against or signed with, and is logged", async () => {
    const { logger, warn, error } = recordingLogger();
    const keyRing = ring({ logger });
    await keyRing.initialise();
    const genuine = await stored().findOne({});
    if (genuine === null) throw new Error("no key stored");
    const below = await forgedRecord("forged-below", genuine.generation - 0.5, undefined);
    const above = await forgedRecord("forged-above", genuine.generation + 1, genuine.mac);
    await stored().insertMany([below.record, above.record]);
    const tokens = createAccessTokens({ keyRing, issuer: "iss", audience: "aud", ttlSeconds: 900 });
    expect((await keyRing.published()).map((k) => k.kid)).toEqual([genuine._id]);
    expect((await keyRing.active()).kid).toBe(genuine._id);
    expect(await tokens.verify(await below.sign())).toBeUndefined();
    expect(await tokens.verify(await above.sign())).toBeUndefined();
    const kidsIn = (spy: typeof warn) => spy.mock.calls.map(([fields]) => (fields as { kid?: string }).kid);
    expect({ warn: kidsIn(warn), error: kidsIn(error) }).toEqual({ warn: ["forged-below"], error: ["forged-above"] });
    const rotated = await keyRing.rotate();
    expect((await stored().findOne({ _id: rotated.kid }))?.generation).toBe(genuine.generation + 2);
  });

  it("when the keys were stored before records carried a MAC then start-up retires them for a new key and says so", async () => {
    await ring().initialise();
    const legacy = await stored().findOneAndUpdate({}, { $unset: { mac: "" } });
    const { logger, warn } = recordingLogger();
    const upgraded = ring({ logger });
    await upgraded.initialise();
    const active = await upgraded.active();
    expect(active.kid).not.toBe(legacy?._id);
    expect((await upgraded.published()).map((k) => k.kid)).toEqual([active.kid]);
    expect(warn.mock.calls.some(([fields]) => JSON.stringify(fields).includes(String(legacy?._id)))).toBe(true);
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
    mac: undefined,
  });

  it("when a key's successor is older than the retention then it and older keys are dropped", () => {
    const keys = [key(3, 10_000), key(2, 5_000), key(1, 0)];
    expect(publishedKeys(keys, 10_500, 1_000).map((k) => k.kid)).toEqual(["k3", "k2"]);
    expect(publishedKeys(keys, 5_500, 1_000).map((k) => k.kid)).toEqual(["k3", "k2", "k1"]);
    expect(publishedKeys(keys, 20_000, 1_000).map((k) => k.kid)).toEqual(["k3"]);
  });
});
