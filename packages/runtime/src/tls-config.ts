import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import { createSecureContext } from "node:tls";
import { EnvReader } from "./env.js";

/** Whether the servers ask clients for a certificate: `require` refuses a connection without one signed by the CA. */
export type ClientAuth = "none" | "require";

/** This service's certificate chain and private key, PEM. */
export interface TlsIdentity {
  cert: Buffer;
  key: Buffer;
}

/** TLS of both ports and of the calls to the other service, from ROSTER_TLS_* (see the README's TLS section). */
export interface TlsConfig {
  /** Served on both ports, and presented to peers that ask for a client certificate; both ports are plaintext without it. */
  identity: TlsIdentity | undefined;
  /** Verifies the servers this service calls over https:// (instead of the system's roots) and, with client auth, the clients. */
  ca: Buffer | undefined;
  clientAuth: ClientAuth;
  /** Where the certificate, key and CA were read from, to read them again when they change. */
  files: { cert?: string; key?: string; ca?: string };
  /** How often the files are checked for renewed certificates; 0 never. */
  reloadIntervalMs: number;
}

/** The TLS settings in force, and news of renewed ones (see tls-reload.ts). */
export interface TlsSource {
  readonly tls: TlsConfig;
  onChange(listener: (tls: TlsConfig) => void): void;
}

/** A source whose settings never change. */
export function fixedTls(tls: TlsConfig): TlsSource {
  return { tls, onChange: () => undefined };
}

const certFileVariable = "ROSTER_TLS_CERT_FILE";
const keyFileVariable = "ROSTER_TLS_KEY_FILE";
const caFileVariable = "ROSTER_TLS_CA_FILE";
const clientAuthVariable = "ROSTER_TLS_CLIENT_AUTH";
const reloadVariable = "ROSTER_TLS_RELOAD_INTERVAL_MS";

const pemCertificate = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/** Every certificate of a PEM bundle, or the reason there is none to use. */
function certificates(pem: Buffer): X509Certificate[] | string {
  const blocks = pem.toString("utf8").match(pemCertificate) ?? [];
  if (blocks.length === 0) return "contains no PEM certificate";
  try {
    return blocks.map((block) => new X509Certificate(block));
  } catch (err) {
    return `holds a certificate that does not parse: ${(err as Error).message}`;
  }
}

function privateKey(pem: Buffer): KeyObject | string {
  try {
    return createPrivateKey(pem);
  } catch (err) {
    return `is not an unencrypted PEM private key: ${(err as Error).message}`;
  }
}

/**
 * Reads ROSTER_TLS_*: the files must exist and parse, the certificate and key
 * come together and belong together, and client auth needs a CA to check the
 * clients against. Every problem is recorded on the reader.
 */
export function readTlsConfig(env: EnvReader): TlsConfig {
  const cert = env.file(certFileVariable);
  const key = env.file(keyFileVariable);
  const ca = env.file(caFileVariable);
  const clientAuth = env.oneOf<ClientAuth>(clientAuthVariable, ["none", "require"], "none");

  const certs = cert === undefined ? undefined : certificates(cert);
  if (typeof certs === "string") env.reject(certFileVariable, certs);
  const keyObject = key === undefined ? undefined : privateKey(key);
  if (typeof keyObject === "string") env.reject(keyFileVariable, keyObject);
  const caCerts = ca === undefined ? undefined : certificates(ca);
  if (typeof caCerts === "string") env.reject(caFileVariable, caCerts);

  const certSet = env.optionalString(certFileVariable) !== undefined;
  const keySet = env.optionalString(keyFileVariable) !== undefined;
  if (certSet !== keySet)
    env.reject(
      certSet ? keyFileVariable : certFileVariable,
      `must be set together with ${certSet ? certFileVariable : keyFileVariable}`,
    );
  const usable = Array.isArray(certs) && keyObject !== undefined && typeof keyObject !== "string";
  const matching = usable && certs[0]?.checkPrivateKey(keyObject) === true;
  if (usable && !matching)
    env.reject(keyFileVariable, `is not the private key of the first certificate in ${certFileVariable}`);
  if (clientAuth === "require") {
    if (!certSet)
      env.reject(
        clientAuthVariable,
        `require needs ${certFileVariable} and ${keyFileVariable}: client certificates are checked only over TLS`,
      );
    if (env.optionalString(caFileVariable) === undefined)
      env.reject(clientAuthVariable, `require needs ${caFileVariable}, the CA that signs the client certificates`);
  }
  const identity = cert !== undefined && key !== undefined ? { cert, key } : undefined;
  if (identity !== undefined && matching && !(typeof caCerts === "string")) {
    // What OpenSSL itself accepts is the last word (a key type it cannot use, say).
    try {
      createSecureContext({ ...identity, ca });
    } catch (err) {
      env.reject(certFileVariable, `cannot be used for TLS: ${(err as Error).message}`);
    }
  }
  const files = {
    cert: env.optionalString(certFileVariable),
    key: env.optionalString(keyFileVariable),
    ca: env.optionalString(caFileVariable),
  };
  return {
    identity,
    ca,
    clientAuth,
    files,
    reloadIntervalMs: env.integer(reloadVariable, 60_000, { min: 0, max: 86_400_000 }),
  };
}

/** Reads the same files again, checked as at start-up; throws a ConfigError if they cannot be used. */
export function rereadTlsFiles(tls: TlsConfig): TlsConfig {
  const reader = new EnvReader({
    [certFileVariable]: tls.files.cert,
    [keyFileVariable]: tls.files.key,
    [caFileVariable]: tls.files.ca,
    [clientAuthVariable]: tls.clientAuth,
  });
  const next = readTlsConfig(reader);
  reader.done({});
  return { ...next, reloadIntervalMs: tls.reloadIntervalMs };
}
