import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { Code, ConnectError } from "@connectrpc/connect";
import { createTestCertificateAuthority } from "@roster/test-pki";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccessTokenVerifier } from "./access-token-verifier.js";
import { peerGrpcTarget, peerTls } from "./peer-tls.js";
import type { TlsConfig } from "./tls-config.js";

const issuer = "roster";
const audience = "roster";
let server: Server;
let jwksUrl: string;
let ca: Buffer;
let otherCa: Buffer;
let signingKey: CryptoKey;
const seenClientCertificates: string[] = [];

beforeAll(async () => {
  const authority = await createTestCertificateAuthority();
  ca = Buffer.from(authority.cert);
  otherCa = Buffer.from((await createTestCertificateAuthority("Another CA")).cert);
  const serverCert = await authority.issue({ commonName: "localhost", ips: ["127.0.0.1"], usage: "server" });
  const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  signingKey = privateKey;
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: "k1", alg: "EdDSA", use: "sig" }] };
  server = createServer({ ...serverCert, ca, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    seenClientCertificates.push(String(peer.subject?.CN ?? "none"));
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  jwksUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function token(): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope: "roster:users:read" })
    .setProtectedHeader({ alg: "EdDSA", kid: "k1", typ: "at+jwt" })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject("u_1")
    .setIssuedAt(now)
    .setJti("j1")
    .setExpirationTime(now + 60)
    .sign(signingKey);
}

function tlsWith(ca: Buffer | undefined): TlsConfig {
  return { identity: undefined, ca, clientAuth: "none", files: {}, reloadIntervalMs: 0 };
}

describe("peerGrpcTarget", () => {
  it("when the URL is https then the call uses TLS with the CA, and http stays plaintext", () => {
    const tls = tlsWith(ca);
    expect(peerGrpcTarget("https://users.internal:50051", tls)).toEqual({
      transport: "grpc-js",
      address: "users.internal:50051",
      tls: { ca, cert: undefined, key: undefined },
    });
    expect(peerGrpcTarget("http://127.0.0.1:50051", tls)).toEqual({
      transport: "grpc-js",
      address: "127.0.0.1:50051",
      tls: undefined,
    });
  });
});

describe("the JWKS fetch over https", () => {
  it("when the key server's certificate is signed by the configured CA then tokens verify", async () => {
    const verify = createAccessTokenVerifier({ jwksUrl, jwksTls: peerTls(tlsWith(ca)), issuer, audience });
    expect((await verify(await token()))?.subject).toBe("u_1");
  });

  it("when the configured CA is another one then nothing is trusted: the keys are UNAVAILABLE", async () => {
    const verify = createAccessTokenVerifier({ jwksUrl, jwksTls: peerTls(tlsWith(otherCa)), issuer, audience });
    const failure = await verify(await token()).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(ConnectError);
    expect((failure as ConnectError).code).toBe(Code.Unavailable);
    expect((failure as ConnectError).rawMessage).toContain("signing keys cannot be fetched");
  });

  it("when this service has a certificate then the key server is shown it", async () => {
    const client = await (await createTestCertificateAuthority()).issue({
      commonName: "user-service",
      usage: "client",
    });
    const tls: TlsConfig = {
      identity: { cert: Buffer.from(client.cert), key: Buffer.from(client.key) },
      ca,
      clientAuth: "none",
      files: {},
      reloadIntervalMs: 0,
    };
    const verify = createAccessTokenVerifier({ jwksUrl, jwksTls: peerTls(tls), issuer, audience });
    seenClientCertificates.length = 0;
    expect((await verify(await token()))?.subject).toBe("u_1");
    expect(seenClientCertificates).toEqual(["user-service"]);
  });
});
