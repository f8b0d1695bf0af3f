// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API loaded first.
import "reflect-metadata";
import { createPrivateKey, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const dayMs = 24 * 60 * 60 * 1000;

/** A certificate and its private key, both PEM. */
export interface CertificateAndKey {
  cert: string;
  key: string;
}

export interface IssueOptions {
  commonName: string;
  /** Host names the certificate is valid for (subjectAltName DNS entries). */
  dnsNames?: readonly string[];
  /** IP addresses the certificate is valid for (subjectAltName IP entries). */
  ips?: readonly string[];
  /** What the certificate may be used for; a Roster service presents one certificate as server and as client. */
  usage: "server" | "client" | "server-and-client";
}

/** A certificate authority that lives only in memory, for one test run. */
export interface TestCertificateAuthority {
  /** The CA certificate (PEM): what a peer is told to trust. */
  cert: string;
  issue(options: IssueOptions): Promise<CertificateAndKey>;
}

async function keyPair(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
}

async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", key));
  return createPrivateKey({ key: der, format: "der", type: "pkcs8" })
    .export({ format: "pem", type: "pkcs8" })
    .toString();
}

function serialNumber(): string {
  // Positive (leading bit clear) and unique enough for certificates that live one test run.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString("hex");
}

const usages = {
  server: [x509.ExtendedKeyUsage.serverAuth],
  client: [x509.ExtendedKeyUsage.clientAuth],
  "server-and-client": [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
} as const;

/** Creates a fresh CA (ECDSA P-256, valid from yesterday for a week) that issues leaf certificates. */
export async function createTestCertificateAuthority(name = "Roster Test CA"): Promise<TestCertificateAuthority> {
  const caKeys = await keyPair();
  const notBefore = new Date(Date.now() - dayMs);
  const notAfter = new Date(Date.now() + 7 * dayMs);
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${name}`,
    notBefore,
    notAfter,
    signingAlgorithm: algorithm,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  return {
    cert: caCert.toString("pem"),
    async issue(options) {
      const keys = await keyPair();
      const names = [
        ...(options.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
        ...(options.ips ?? []).map((value) => ({ type: "ip" as const, value })),
      ];
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serialNumber(),
        subject: `CN=${options.commonName}`,
        issuer: caCert.subject,
        notBefore,
        notAfter,
        signingAlgorithm: algorithm,
        publicKey: keys.publicKey,
        signingKey: caKeys.privateKey,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([...usages[options.usage]]),
          ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
          await x509.AuthorityKeyIdentifierExtension.create(caCert),
        ],
      });
      return { cert: cert.toString("pem"), key: await privateKeyPem(keys.privateKey) };
    },
  };
}
