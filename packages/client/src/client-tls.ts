import type { SecureClientSessionOptions } from "node:http2";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { credentials, type ChannelCredentials } from "@grpc/grpc-js";

/** PEM text or bytes. */
export type Pem = string | Buffer;

/**
 * TLS towards a Roster service. The server is always verified: against `ca`
 * when given, the system's roots otherwise. `cert` and `key` present a client
 * certificate, for servers that require one (mutual TLS).
 */
export interface ClientTls {
  ca?: Pem;
  cert?: Pem;
  key?: Pem;
}

function bytes(pem: Pem | undefined): Buffer | null {
  if (pem === undefined) return null;
  return typeof pem === "string" ? Buffer.from(pem) : pem;
}

function checked(tls: ClientTls): ClientTls {
  if ((tls.cert === undefined) !== (tls.key === undefined))
    throw new TypeError("tls.cert and tls.key must be given together");
  return tls;
}

/** grpc-js channel credentials for `tls`. */
export function grpcJsTlsCredentials(tls: ClientTls): ChannelCredentials {
  const { ca, cert, key } = checked(tls);
  return credentials.createSsl(bytes(ca), bytes(key), bytes(cert));
}

/** Options of the HTTP/2 session to an https:// base URL. */
export function http2TlsOptions(tls: ClientTls): SecureClientSessionOptions {
  const { ca, cert, key } = checked(tls);
  return { ca: bytes(ca) ?? undefined, cert: bytes(cert) ?? undefined, key: bytes(key) ?? undefined };
}

/** OpenSSL's certificate verification failures, as Node names them (other TLS failures are ERR_SSL_* or ERR_TLS_*). */
const verifyErrors = new Set([
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "CERT_NOT_YET_VALID",
  "CERT_HAS_EXPIRED",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "INVALID_CA",
  "INVALID_PURPOSE",
  "HOSTNAME_MISMATCH",
]);

function isTlsFailure(cause: unknown): boolean {
  const code = (cause as { code?: unknown } | undefined)?.code;
  return (
    typeof code === "string" && (code.startsWith("ERR_SSL_") || code.startsWith("ERR_TLS_") || verifyErrors.has(code))
  );
}

/**
 * A TLS handshake that fails is a connection that could not be made:
 * UNAVAILABLE, as grpc-js reports it, where connect-node would say INTERNAL.
 */
export function createTlsFailureInterceptor(): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (err) {
      if (err instanceof ConnectError && err.code === Code.Internal && isTlsFailure(err.cause)) {
        throw new ConnectError(
          `TLS handshake failed: ${err.rawMessage}`,
          Code.Unavailable,
          undefined,
          undefined,
          err.cause,
        );
      }
      throw err;
    }
  };
}
