import { generateKeyPair, SignJWT } from "jose";
import type { Db } from "mongodb";
import { beforeEach, describe, expect, it } from "vitest";
import { testKeyRing, useTestMongo } from "../testing.js";
import { createAccessTokens } from "./access-tokens.js";
import type { KeyRing } from "./signing-keys.js";

const mongo = useTestMongo();
let db: Db;
let keyRing: KeyRing;

beforeEach(async () => {
  db = mongo.db;
  keyRing = testKeyRing(db);
  await keyRing.initialise();
});

const tokens = (claims: { issuer?: string; audience?: string; ttlSeconds?: number } = {}) =>
  createAccessTokens({
    keyRing,
    issuer: claims.issuer ?? "roster",
    audience: claims.audience ?? "roster",
    ttlSeconds: claims.ttlSeconds ?? 900,
  });

const grant = { userId: "u1", scopes: ["a", "b"], patId: "pat_1", tokenEpoch: 2 };

describe("access tokens", () => {
  it("when minted and verified then the claims round-trip", async () => {
    const { token, claims } = await tokens().mint(grant);
    expect(await tokens().verify(token)).toEqual(claims);
  });

  it("when the PAT expires before the TTL runs out then exp is the PAT's expiry, rounded down", async () => {
    const notAfter = new Date(Date.now() + 60_500);
    const { token, claims } = await tokens().mint({ ...grant, notAfter });
    expect(claims.exp).toBe(Math.floor(notAfter.getTime() / 1000));
    expect((await tokens().verify(token))?.exp).toBe(claims.exp);
    const later = await tokens().mint({ ...grant, notAfter: new Date(Date.now() + 3_600_000) });
    expect(later.claims.exp - later.claims.iat).toBe(900);
  });

  it("when the issuer or audience differs then the token is not ours", async () => {
    const { token } = await tokens().mint(grant);
    expect(await tokens({ issuer: "elsewhere" }).verify(token)).toBeUndefined();
    expect(await tokens({ audience: "elsewhere" }).verify(token)).toBeUndefined();
  });

  it("when expired then it does not verify", async () => {
    const { token } = await tokens({ ttlSeconds: -60 }).mint(grant);
    expect(await tokens().verify(token)).toBeUndefined();
  });

  it("when the key was never published then it does not verify", async () => {
    const other = testKeyRing(await mongo.another());
    await other.initialise();
    const { token } = await createAccessTokens({
      keyRing: other,
      issuer: "roster",
      audience: "roster",
      ttlSeconds: 900,
    }).mint(grant);
    expect(await tokens().verify(token)).toBeUndefined();
  });

  it("when a token is signed with ES256 and its kid resolves to an EC key then it does not verify: only EdDSA is accepted", async () => {
    const { publicKey, privateKey } = await generateKeyPair("ES256");
    const lenient = createAccessTokens({
      keyRing: { ...keyRing, getKey: async () => publicKey },
      issuer: "roster",
      audience: "roster",
      ttlSeconds: 900,
    });
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ scope: "a" })
      .setProtectedHeader({ alg: "ES256", kid: "k-es256", typ: "at+jwt" })
      .setIssuer("roster")
      .setAudience("roster")
      .setSubject("u1")
      .setJti("j1")
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(privateKey);
    expect(await lenient.verify(token)).toBeUndefined();
  });

  it("when minted then the token is byte for byte the one jose's SignJWT makes of the same header and claims", async () => {
    const cases = [
      { minter: tokens(), request: grant },
      { minter: tokens(), request: { ...grant, scopes: [], tokenEpoch: 0, notAfter: new Date(Date.now() + 120_000) } },
      // Strings JSON must escape, and characters outside ASCII, come out as jose encodes them.
      { minter: tokens({ issuer: 'https://a.example/"r\\o\u2028ster"', audience: "rôster" }), request: grant },
    ];
    for (const { minter, request } of cases) {
      const { token, claims } = await minter.mint(request);
      const key = await keyRing.active();
      const byJose = await new SignJWT({
        scope: claims.scopes.join(" "),
        client_id: claims.clientId,
        token_epoch: claims.tokenEpoch,
      })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "at+jwt" })
        .setIssuer(claims.iss)
        .setAudience(claims.aud)
        .setSubject(claims.sub)
        .setJti(claims.jti)
        .setIssuedAt(claims.iat)
        .setExpirationTime(claims.exp)
        .sign(key.privateKey);
      expect(token).toBe(byJose);
      expect(await tokens({ issuer: claims.iss, audience: claims.aud }).verify(token)).toEqual(claims);
    }
  });
});
