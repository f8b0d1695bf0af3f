import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccessTokenVerifier, isSigningKeysUnavailable } from "./access-token-verifier.js";

const issuer = "https://roster.test";
const audience = "roster";
let server: Server;
const published: JWK[] = [];
let fetches = 0;
let jwksUrl: string;

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function newKey(kid: string, publish = true): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: "EdDSA", use: "sig" };
  if (publish) published.push(publicJwk);
  return { kid, privateKey, publicJwk };
}

interface Claims {
  iss?: string;
  aud?: string;
  exp?: number;
  nbf?: number;
  scope?: string;
  token_epoch?: unknown;
  typ?: string;
}

function sign(key: SigningKey, claims: Claims = {}) {
  const now = Math.floor(Date.now() / 1000);
  const extra = {
    ...(claims.token_epoch === undefined ? {} : { token_epoch: claims.token_epoch }),
    ...(claims.nbf === undefined ? {} : { nbf: claims.nbf }),
  };
  return new SignJWT({ scope: claims.scope ?? "roster:users:read roster:tokens:read", client_id: "pat_1", ...extra })
    .setProtectedHeader({ alg: "EdDSA", kid: key.kid, typ: claims.typ ?? "at+jwt" })
    .setIssuer(claims.iss ?? issuer)
    .setAudience(claims.aud ?? audience)
    .setSubject("u_123")
    .setIssuedAt(now)
    .setJti("j1")
    .setExpirationTime(claims.exp ?? now + 60)
    .sign(key.privateKey);
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
const parts = (token: string) => token.split(".") as [string, string, string];

beforeAll(async () => {
  server = createServer((_req, res) => {
    fetches += 1;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ keys: published }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("createAccessTokenVerifier", () => {
  it("when the token is valid then it resolves its subject, scopes, client, times and token epoch", async () => {
    const key = await newKey("k1");
    const verify = createAccessTokenVerifier({ jwksUrl, issuer, audience });
    const token = await sign(key);
    const claims = JSON.parse(Buffer.from(parts(token)[1], "base64url").toString()) as { iat: number; exp: number };
    expect(await verify(token)).toEqual({
      subject: "u_123",
      scopes: ["roster:users:read", "roster:tokens:read"],
      clientId: "pat_1",
      tokenId: "j1",
      issuedAt: claims.iat,
      notBefore: 0,
      expiresAt: claims.exp,
      tokenEpoch: 0,
    });
    expect((await verify(await sign(key, { token_epoch: 3 })))?.tokenEpoch).toBe(3);
  });

  it("when the token epoch is not a non-negative integer then it resolves undefined", async () => {
    const key = await newKey("k-epoch");
    const verify = createAccessTokenVerifier({ jwksUrl, issuer, audience });
    for (const epoch of [-1, 1.5, "2"]) expect(await verify(await sign(key, { token_epoch: epoch }))).toBeUndefined();
  });

  it("when the issuer or audience is another deployment's then it resolves undefined", async () => {
    const key = await newKey("k2");
    const verify = createAccessTokenVerifier({ jwksUrl, issuer, audience });
    expect(await verify(await sign(key, { iss: "https://evil.test" }))).toBeUndefined();
    expect(await verify(await sign(key, { aud: "someone-else" }))).toBeUndefined();
    expect(await verify(await sign(key))).toBeDefined();
  });

  it("when the token has expired or is not valid yet then it resolves undefined", async () => {
    const key = await newKey("k-time");
    const verify = createAccessTokenVerifier({ jwksUrl, issuer, audience });
    const now = Math.floor(Date.now() / 1000);
    expect(await verify(await sign(key, { exp: now - 1 }))).toBeUndefined();
    expect(await verify(await sign(key, { nbf: now + 120 }))).toBeUndefined();
    expect((await verify(await sign(key, { nbf: now - 1 })))?.notBefore).toBe(now - 1);
  });

  it("when the header's typ is not at+jwt then it resolves undefined: an ID token of the same keys is not an access token", async () => {
    const key = await newKey("k-typ");
    const verify = createAccessTokenVerifier({ jwksUrl, issuer, audience });
    expect(await verify(await sign(key, { typ: "JWT" }))).toBeUndefined();
  });

  it("when the payload is tampered with or alg is none then it resolves undefined", async () => {
    const key = await newKey("k3");
    const verify = createAccessTokenVerifier({ jwksUrl, issuer, audience });
    const [header, payload, signature] = parts(await sign(key));
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as Record<string, unknown>;
    expect(
      await verify(`${header}.${base64url({ ...claims, scope: "roster:users:write" })}.${signature}`),
    ).toBeUndefined();
    expect(await verify(`${base64url({ alg: "none", kid: "k3", typ: "at+jwt" })}.${payload}.`)).toBeUndefined();
    expect(await verify("not-a-jwt")).toBeUndefined();
  });

  it("when a token is HMAC-signed with the published public key as the secret then it resolves undefined (algorithm confusion)", async () => {
    const key = await newKey("k-hs");
    const verify = createAccessTokenVerifier({ jwksUrl, issuer, audience });
    const [, payload] = parts(await sign(key));
    const header = base64url({ alg: "HS256", kid: "k-hs", typ: "at+jwt" });
    const { createHmac } = await import("node:crypto");
    for (const secret of [
      Buffer.from(key.publicJwk.x ?? "", "base64url"),
      Buffer.from(JSON.stringify(key.publicJwk)),
    ]) {
      const mac = createHmac("sha256", secret).update(`${header}.${payload}`).digest("base64url");
      expect(await verify(`${header}.${payload}.${mac}`)).toBeUndefined();
    }
  });

  it("when a token is signed with ES256 under a published ES256 key then it resolves undefined: only EdDSA is accepted", async () => {
    const { publicKey, privateKey } = await generateKeyPair("ES256");
    published.push({ ...(await exportJWK(publicKey)), kid: "k-es256", alg: "ES256", use: "sig" });
    const verify = createAccessTokenVerifier({ jwksUrl, issuer, audience });
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ scope: "roster:users:read" })
      .setProtectedHeader({ alg: "ES256", kid: "k-es256", typ: "at+jwt" })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject("u_123")
      .setIssuedAt(now)
      .setJti("j2")
      .setExpirationTime(now + 60)
      .sign(privateKey);
    expect(await verify(token)).toBeUndefined();
  });

  it("when a token names a kid the cached set lacks then the set is fetched once more and the new key verifies it", async () => {
    const verify = createAccessTokenVerifier({ jwksUrl, issuer, audience });
    expect(await verify(await sign(await newKey("k4")))).toBeDefined();
    const before = fetches;
    const rotated = await newKey("k5");
    expect((await verify(await sign(rotated)))?.subject).toBe("u_123");
    expect(fetches).toBe(before + 1);
  });

  it("when many tokens name kids nobody published then the key set is fetched at most once per second", async () => {
    const verify = createAccessTokenVerifier({ jwksUrl, issuer, audience });
    expect(await verify(await sign(await newKey("k6")))).toBeDefined();
    const before = fetches;
    const bogus = await Promise.all(Array.from({ length: 20 }, (_, i) => newKey(`bogus-${i}`, false)));
    const started = Date.now();
    const results = await Promise.all(bogus.map(async (key) => verify(await sign(key))));
    expect(results.every((r) => r === undefined)).toBe(true);
    const seconds = Math.ceil((Date.now() - started) / 1000);
    expect(fetches - before).toBeGreaterThanOrEqual(1);
    expect(fetches - before).toBeLessThanOrEqual(seconds + 1);
  });

  it("when the key set cannot be fetched then it rejects with SigningKeysUnavailableError instead of calling the token invalid", async () => {
    const key = await newKey("k7");
    const verify = createAccessTokenVerifier({ jwksUrl: "http://127.0.0.1:1/.well-known/jwks.json", issuer, audience });
    const err = await verify(await sign(key)).catch((e: unknown) => e);
    expect(isSigningKeysUnavailable(err)).toBe(true);
    expect((err as Error).name).toBe("SigningKeysUnavailableError");
  });

  it("when a local key source fails then its error is passed on, not taken for an invalid token", async () => {
    const key = await newKey("k8");
    const outage = new Error("storage down");
    const verify = createAccessTokenVerifier({ keys: () => Promise.reject(outage), issuer, audience });
    await expect(verify(await sign(key))).rejects.toBe(outage);
  });
});
