import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ConnectError, Code } from "@connectrpc/connect";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccessTokenVerifier } from "./access-token-verifier.js";

const issuer = "https://roster.test";
const audience = "roster";
let server: Server;
const published: JWK[] = [];
let fetches = 0;
let jwksUrl: string;

async function newKey(kid: string): Promise<{ kid: string; privateKey: CryptoKey }> {
  const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  published.push({ ...(await exportJWK(publicKey)), kid, alg: "EdDSA", use: "sig" });
  return { kid, privateKey };
}

function sign(
  key: { kid: string; privateKey: CryptoKey },
  claims: { iss?: string; aud?: string; exp?: number; scope?: string; token_epoch?: unknown } = {},
) {
  const now = Math.floor(Date.now() / 1000);
  const epoch = claims.token_epoch === undefined ? {} : { token_epoch: claims.token_epoch };
  return new SignJWT({ scope: claims.scope ?? "roster:users:read roster:tokens:read", ...epoch })
    .setProtectedHeader({ alg: "EdDSA", kid: key.kid, typ: "at+jwt" })
    .setIssuer(claims.iss ?? issuer)
    .setAudience(claims.aud ?? audience)
    .setSubject("u_123")
    .setIssuedAt(now)
    .setJti("j1")
    .setExpirationTime(claims.exp ?? now + 60)
    .sign(key.privateKey);
}

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

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
  it("when the token is valid then it resolves its subject, scopes and token epoch (0 when absent)", async () => {
    const key = await newKey("k1");
    const verify = createAccessTokenVerifier({ jwksUrl, issuer, audience });
    const token = await sign(key);
    const exp = (JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()) as { exp: number }).exp;
    expect(await verify(token)).toEqual({ subject: "u_123", scopes: ["roster:users:read", "roster:tokens:read"], tokenEpoch: 0, expiresAt: exp });
    expect((await verify(await sign(key, { token_epoch: 3 })))?.tokenEpoch).toBe(3);
  });

  it("when the token epoch is not a non-negative integer then it resolves undefined", async () => {
    const key = await newKey("k7");
    const verify = createAccessTokenVerifier({ jwksUrl, issuer, audience });
    for (const epoch of [-1, 1.5, "2"]) expect(await verify(await sign(key, { token_epoch: epoch }))).toBeUndefined();
  });

  it("when the issuer, audience or expiry is wrong then it resolves undefined", async () => {
    const key = await newKey("k2");
    const verify = createAccessTokenVerifier({ jwksUrl, issuer, audience });
    expect(await verify(await sign(key, { iss: "https://evil.test" }))).toBeUndefined();
    expect(await verify(await sign(key, { aud: "someone-else" }))).toBeUndefined();
    expect(await verify(await sign(key, { exp: Math.floor(Date.now() / 1000) - 120 }))).toBeUndefined();
  });

  it("when the signature is tampered with or alg is none then it resolves undefined", async () => {
    const key = await newKey("k3");
    const verify = createAccessTokenVerifier({ jwksUrl, issuer, audience });
    const [header, payload, signature] = (await sign(key)).split(".") as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as Record<string, unknown>;
    const widened = base64url({ ...claims, scope: "roster:users:write" });
    expect(await verify(`${header}.${widened}.${signature}`)).toBeUndefined();
    const none = base64url({ alg: "none", kid: "k3", typ: "at+jwt" });
    expect(await verify(`${none}.${payload}.`)).toBeUndefined();
    expect(await verify("not-a-jwt")).toBeUndefined();
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
    expect(await verify(await sign(await newKey("k-eddsa")))).toBeDefined();
  });

  it("when a token names a kid the cached set lacks then the set is fetched again", async () => {
    const verify = createAccessTokenVerifier({ jwksUrl, issuer, audience });
    expect(await verify(await sign(await newKey("k4")))).toBeDefined();
    const before = fetches;
    const rotated = await newKey("k5");
    expect((await verify(await sign(rotated)))?.subject).toBe("u_123");
    expect(fetches).toBe(before + 1);
  });

  it("when the key set cannot be fetched then it rejects with UNAVAILABLE instead of calling the token invalid", async () => {
    const key = await newKey("k6");
    const verify = createAccessTokenVerifier({ jwksUrl: "http://127.0.0.1:1/.well-known/jwks.json", issuer, audience });
    const err = await verify(await sign(key)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.Unavailable);
  });
});
