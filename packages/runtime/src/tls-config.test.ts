import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestCertificateAuthority, type CertificateAndKey } from "@roster/test-pki";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, EnvReader } from "./env.js";
import { readTlsConfig, type TlsConfig } from "./tls-config.js";

const dir = mkdtempSync(join(tmpdir(), "roster-tls-config-"));
const files = {
  cert: join(dir, "cert.pem"),
  key: join(dir, "key.pem"),
  ca: join(dir, "ca.pem"),
  otherKey: join(dir, "other-key.pem"),
  junk: join(dir, "junk.pem"),
};
let server: CertificateAndKey;

beforeAll(async () => {
  const ca = await createTestCertificateAuthority();
  server = await ca.issue({ commonName: "localhost", dnsNames: ["localhost"], usage: "server-and-client" });
  const other = await ca.issue({ commonName: "other", usage: "client" });
  writeFileSync(files.cert, server.cert);
  writeFileSync(files.key, server.key);
  writeFileSync(files.ca, ca.cert);
  writeFileSync(files.otherKey, other.key);
  writeFileSync(files.junk, "not a certificate\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function read(env: Record<string, string>): TlsConfig {
  const reader = new EnvReader(env);
  const tls = readTlsConfig(reader);
  reader.done({});
  return tls;
}

/** The problems reported for `env`, as "VARIABLE message". */
function problemsOf(env: Record<string, string>): string[] {
  try {
    read(env);
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems.map((p) => `${p.variable} ${p.message}`);
  }
}

describe("readTlsConfig", () => {
  it("when nothing is set then both ports stay plaintext and no client certificate is asked for", () => {
    expect(read({})).toEqual({
      identity: undefined,
      ca: undefined,
      clientAuth: "none",
      files: {},
      reloadIntervalMs: 60_000,
    });
  });

  it("when certificate, key and CA are set then their contents are loaded", () => {
    const tls = read({
      ROSTER_TLS_CERT_FILE: files.cert,
      ROSTER_TLS_KEY_FILE: files.key,
      ROSTER_TLS_CA_FILE: files.ca,
      ROSTER_TLS_CLIENT_AUTH: "require",
    });
    expect(tls.identity?.cert.toString()).toBe(server.cert);
    expect(tls.identity?.key.toString()).toBe(server.key);
    expect(tls.ca?.toString()).toContain("BEGIN CERTIFICATE");
    expect(tls.clientAuth).toBe("require");
  });

  it("when only a CA is set then the servers stay plaintext and calls to https:// peers verify against it", () => {
    const tls = read({ ROSTER_TLS_CA_FILE: files.ca });
    expect(tls.identity).toBeUndefined();
    expect(tls.ca?.toString()).toContain("BEGIN CERTIFICATE");
  });

  it("when the certificate comes without its key, or the key without its certificate, then the missing one is named", () => {
    expect(problemsOf({ ROSTER_TLS_CERT_FILE: files.cert })).toEqual([
      "ROSTER_TLS_KEY_FILE must be set together with ROSTER_TLS_CERT_FILE",
    ]);
    expect(problemsOf({ ROSTER_TLS_KEY_FILE: files.key })).toEqual([
      "ROSTER_TLS_CERT_FILE must be set together with ROSTER_TLS_KEY_FILE",
    ]);
  });

  it("when a file does not exist then its variable is named with the path", () => {
    const missing = join(dir, "missing.pem");
    expect(problemsOf({ ROSTER_TLS_CA_FILE: missing })).toEqual([
      `ROSTER_TLS_CA_FILE cannot read "${missing}": ENOENT`,
    ]);
  });

  it("when files hold no certificate or no key then each variable is named", () => {
    const problems = problemsOf({
      ROSTER_TLS_CERT_FILE: files.junk,
      ROSTER_TLS_KEY_FILE: files.junk,
      ROSTER_TLS_CA_FILE: files.junk,
    });
    expect(problems.map((p) => p.split(" ")[0])).toEqual([
      "ROSTER_TLS_CERT_FILE",
      "ROSTER_TLS_KEY_FILE",
      "ROSTER_TLS_CA_FILE",
    ]);
    expect(problems[0]).toContain("contains no PEM certificate");
    expect(problems[1]).toContain("is not an unencrypted PEM private key");
  });

  it("when the key belongs to another certificate then the key file is refused", () => {
    expect(problemsOf({ ROSTER_TLS_CERT_FILE: files.cert, ROSTER_TLS_KEY_FILE: files.otherKey })).toEqual([
      "ROSTER_TLS_KEY_FILE is not the private key of the first certificate in ROSTER_TLS_CERT_FILE",
    ]);
  });

  it("when client certificates are required without a CA or a server certificate then ROSTER_TLS_CLIENT_AUTH is refused for both", () => {
    const problems = problemsOf({ ROSTER_TLS_CLIENT_AUTH: "require" });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^ROSTER_TLS_CLIENT_AUTH require needs ROSTER_TLS_CERT_FILE/);
    expect(problems[1]).toMatch(/^ROSTER_TLS_CLIENT_AUTH require needs ROSTER_TLS_CA_FILE/);
  });

  it("when client auth has an unknown value then the allowed ones are listed", () => {
    expect(problemsOf({ ROSTER_TLS_CLIENT_AUTH: "optional" })).toEqual([
      'ROSTER_TLS_CLIENT_AUTH must be one of none, require, got "optional"',
    ]);
  });
});
