import { ConnectError, Code } from "@connectrpc/connect";
import { ErrorInfoSchema } from "@roster/client";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { createAccessTokenVerifier } from "./access-token-verifier.js";

const issuer = "https://roster.test";
const audience = "roster";

async function signed(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ scope: "roster:users:read" })
    .setProtectedHeader({ alg: "EdDSA", kid, typ: "at+jwt" })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject("u_123")
    .setIssuedAt(now)
    .setJti("j1")
    .setExpirationTime(now + 60)
    .sign(privateKey);
  return { token, publicJwk: await exportJWK(publicKey), publicKey };
}

describe("createAccessTokenVerifier (services)", () => {
  it("when a token verifies then the grant carries its subject, scopes, epoch and expiry", async () => {
    const { token, publicKey } = await signed("k1");
    const grant = await createAccessTokenVerifier({ keys: async () => publicKey, issuer, audience })(token);
    expect(grant).toMatchObject({ subject: "u_123", scopes: ["roster:users:read"], tokenEpoch: 0 });
    expect(grant?.expiresAt).toBeGreaterThan(Date.now() / 1000);
  });

  it("when the key set cannot be fetched then it rejects with UNAVAILABLE SIGNING_KEYS_UNAVAILABLE instead of calling the token invalid", async () => {
    const { token } = await signed("k2");
    const verify = createAccessTokenVerifier({ jwksUrl: "http://127.0.0.1:1/.well-known/jwks.json", issuer, audience });
    const err = await verify(token).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.Unavailable);
    expect((err as ConnectError).findDetails(ErrorInfoSchema)[0]?.reason).toBe("SIGNING_KEYS_UNAVAILABLE");
  });
});
