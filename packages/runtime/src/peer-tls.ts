import type { ClientTls, GrpcJsClientConfig } from "@roster/client";
import type { TlsConfig } from "./tls-config.js";

/**
 * What this service trusts and presents when it calls the other one over
 * https://: the configured CA (the system's roots without one) and its own
 * certificate, for peers that require client certificates.
 */
export function peerTls(tls: TlsConfig): ClientTls {
  return { ca: tls.ca, cert: tls.identity?.cert, key: tls.identity?.key };
}

/** The other service's gRPC port from its URL: `https://` is TLS verified as {@link peerTls} says, `http://` plaintext. */
export function peerGrpcTarget(url: string, tls: TlsConfig): Pick<GrpcJsClientConfig, "transport" | "address" | "tls"> {
  const parsed = new URL(url);
  return { transport: "grpc-js", address: parsed.host, tls: parsed.protocol === "https:" ? peerTls(tls) : undefined };
}
