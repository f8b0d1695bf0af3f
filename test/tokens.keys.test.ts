import { randomBytes } from "node:crypto";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { MongoClient } from "mongodb";
import { afterAll, describe, expect, it } from "vitest";
import { stackInfo } from "./helpers/stack-info.js";
import { newPat, outcome, rosterClients, userWithPermissions } from "./helpers/tokens.js";

const stack = stackInfo();
const clients = rosterClients(stack, stack.apiKey);
afterAll(() => clients.close());

async function httpJwks(): Promise<{ status: number; contentType: string | null; keys: { kid: string }[] }> {
  const response = await fetch(`http://127.0.0.1:${stack.token.http}/.well-known/jwks.json`, {
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await response.json()) as { keys: { kid: string }[] };
  return { status: response.status, contentType: response.headers.get("content-type"), keys: body.keys };
}

describe("JWKS", () => {
  it("when fetched over plain HTTP without a credential then it lists the same keys as GetJwks", async () => {
    const rpc = await clients.tokens.getJwks({});
    const http = await httpJwks();
    expect(http.status).toBe(200);
    expect(http.contentType).toContain("application/jwk-set+json");
    expect(http.keys.map((k) => k.kid)).toEqual(rpc.keys.map((k) => k.kid));
    expect(rpc.keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
    expect(JSON.stringify(http.keys)).not.toMatch(/"d"/);
  });

  it("when GetJwks is called without a credential then it is UNAUTHENTICATED", async () => {
    const anonymous = rosterClients(stack, "");
    try {
      expect(await outcome(() => anonymous.tokens.getJwks({}))).toBe("16/MISSING_CREDENTIAL");
    } finally {
      anonymous.close();
    }
  });
});

describe("rotation", () => {
  it("when keys rotate then tokens issued before and after both stay valid and both keys are published", async () => {
    const userId = await userWithPermissions(clients, ["orders:read"]);
    const pat = await newPat(clients, userId);
    const before = await clients.tokens.exchangePersonalAccessToken({ personalAccessToken: pat.secret });
    const rotated = await clients.tokens.rotateSigningKeys({});
    const after = await clients.tokens.exchangePersonalAccessToken({ personalAccessToken: pat.secret });
    const kidOf = (token: string) =>
      (JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString()) as { kid: string }).kid;
    expect(kidOf(after.accessToken)).toBe(rotated.activeKeyId);
    expect(kidOf(before.accessToken)).not.toBe(rotated.activeKeyId);
    expect(rotated.keys[0]?.kid).toBe(rotated.activeKeyId);
    expect(rotated.keys.map((k) => k.kid)).toContain(kidOf(before.accessToken));
    expect((await httpJwks()).keys.map((k) => k.kid)).toEqual(rotated.keys.map((k) => k.kid));
    for (const token of [before.accessToken, after.accessToken]) {
      expect((await clients.tokens.introspectToken({ token })).active).toBe(true);
    }
  });

  it("when an access token without roster:keys:write asks to rotate then it is PERMISSION_DENIED", async () => {
    const userId = await userWithPermissions(clients, ["roster:tokens:read"]);
    const pat = await newPat(clients, userId);
    const minted = await clients.tokens.exchangePersonalAccessToken({ personalAccessToken: pat.secret });
    const reader = rosterClients(stack, minted.accessToken);
    try {
      expect(await outcome(() => reader.tokens.rotateSigningKeys({}))).toBe("7/INSUFFICIENT_SCOPE");
      expect((await reader.tokens.getJwks({})).keys.length).toBeGreaterThan(0);
    } finally {
      reader.close();
    }
  });
});

/** A signing-key document, as much of it as a forger needs to know. */
interface StoredKey {
  _id: string;
  generation: number;
  mac?: unknown;
  [field: string]: unknown;
}

describe("signing-key records written straight into the database", () => {
  it("when a key record without a valid MAC is inserted then it is not published and tokens it signs are refused everywhere", async () => {
    const env = stack.env["token-service"];
    const mongo = await MongoClient.connect(stack.mongodbUri);
    const keys = mongo.db(env.TOKEN_SERVICE_DATABASE).collection<StoredKey>("signing_keys");
    const forgedKids = [`forged-${randomBytes(6).toString("hex")}`, `forged-${randomBytes(6).toString("hex")}`];
    try {
      // A fresh active key, so a record one generation below it would still be within its publication window.
      await clients.tokens.rotateSigningKeys({});
      const genuine = await keys.find({}).sort({ generation: -1 }).limit(1).next();
      if (genuine === null) throw new Error("no signing key stored");
      const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
      const { kty, crv, x } = await exportJWK(publicKey);
      const forged = (kid: string, generation: number, mac: unknown): StoredKey => ({
        ...genuine,
        _id: kid,
        generation,
        publicJwk: { kty, crv, x },
        sealedPrivateKey: "v1.AAAA.AAAA.AAAA",
        createTime: new Date(),
        mac,
      });
      // One record with no MAC at all, one replaying the genuine record's MAC.
      await keys.insertMany([
        forged(forgedKids[0]!, genuine.generation - 0.5, undefined),
        forged(forgedKids[1]!, genuine.generation - 0.25, genuine.mac),
      ]);
      await clients.tokens.rotateSigningKeys({});

      const userId = await userWithPermissions(clients, []);
      for (const kid of forgedKids) {
        const now = Math.floor(Date.now() / 1000);
        const token = await new SignJWT({ scope: "roster:users:read roster:tokens:read" })
          .setProtectedHeader({ alg: "EdDSA", kid, typ: "at+jwt" })
          .setIssuer(env.ROSTER_TOKEN_ISSUER ?? "roster")
          .setAudience(env.ROSTER_TOKEN_AUDIENCE ?? "roster")
          .setSubject(userId)
          .setJti(crypto.randomUUID())
          .setIssuedAt(now)
          .setExpirationTime(now + 300)
          .sign(privateKey);
        const as = rosterClients(stack, token);
        try {
          expect(
            {
              introspection: (await clients.tokens.introspectToken({ token })).active,
              userService: await outcome(() => as.users.getUser({ userId })),
              tokenService: await outcome(() => as.tokens.getJwks({})),
            },
            kid,
          ).toEqual({
            introspection: false,
            userService: "16/INVALID_CREDENTIAL",
            tokenService: "16/INVALID_CREDENTIAL",
          });
        } finally {
          as.close();
        }
      }
      const published = [
        ...(await clients.tokens.getJwks({})).keys.map((k) => k.kid),
        ...(await httpJwks()).keys.map((k) => k.kid),
      ];
      expect(published.filter((kid) => forgedKids.includes(kid))).toEqual([]);
    } finally {
      await keys.deleteMany({ _id: { $in: forgedKids } });
      await mongo.close();
    }
  });
});
