import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import type * as grpc from "@grpc/grpc-js";
import {
  createTestCertificateAuthority,
  type CertificateAndKey,
  type TestCertificateAuthority,
} from "@roster/test-pki";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnvReader } from "./env.js";
import { createGrpcServer, listenGrpc } from "./grpc-server.js";
import { listenHttp, type HttpHandler, type HttpListener } from "./http-server.js";
import { readTlsConfig } from "./tls-config.js";
import { TlsReloader } from "./tls-reload.js";

const dir = mkdtempSync(join(tmpdir(), "roster-tls-reload-"));
const certFile = join(dir, "cert.pem");
const keyFile = join(dir, "key.pem");
const caFile = join(dir, "ca.pem");

let authority: TestCertificateAuthority;
let first: CertificateAndKey;
let reloader: TlsReloader;
let refusals: unknown[];
let http: HttpListener;
let grpcServer: grpc.Server;
let grpcPort: number;

const issue = () => authority.issue({ commonName: "localhost", ips: ["127.0.0.1"], usage: "server" });
function install(pair: CertificateAndKey): void {
  writeFileSync(certFile, pair.cert);
  writeFileSync(keyFile, pair.key);
}

/** The serial number of the certificate a new connection to `port` is shown. */
function servedSerial(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, ca: authority.cert, ALPNProtocols: ["h2"] }, () => {
      resolve(socket.getPeerCertificate().serialNumber);
      socket.destroy();
    });
    socket.on("error", reject);
  });
}

const serialOf = (pair: CertificateAndKey) => new X509Certificate(pair.cert).serialNumber;

beforeAll(async () => {
  authority = await createTestCertificateAuthority();
  first = await issue();
  install(first);
  writeFileSync(caFile, authority.cert);
  const reader = new EnvReader({
    ROSTER_TLS_CERT_FILE: certFile,
    ROSTER_TLS_KEY_FILE: keyFile,
    ROSTER_TLS_CA_FILE: caFile,
    ROSTER_TLS_RELOAD_INTERVAL_MS: "0",
  });
  const tls = readTlsConfig(reader);
  reader.done({});
  refusals = [];
  reloader = new TlsReloader(tls, { reloaded: () => undefined, refused: (err) => refusals.push(err) });
  http = await listenHttp(((_req, res) => res.end()) as HttpHandler, "127.0.0.1", 0, reloader);
  grpcServer = createGrpcServer({ services: [] });
  grpcPort = await listenGrpc(grpcServer, "127.0.0.1", 0, reloader);
});

afterAll(async () => {
  await http?.close(0);
  grpcServer?.forceShutdown();
  rmSync(dir, { recursive: true, force: true });
});

describe("TlsReloader", () => {
  it("when the files are unchanged then nothing is reloaded and both ports serve the first certificate", async () => {
    expect(reloader.check()).toBe(false);
    expect(await servedSerial(http.port)).toBe(serialOf(first));
    expect(await servedSerial(grpcPort)).toBe(serialOf(first));
  });

  it("when a renewed certificate is written then new connections on both ports are shown it, without a restart", async () => {
    const renewed = await issue();
    install(renewed);
    expect(reloader.check()).toBe(true);
    expect(await servedSerial(http.port)).toBe(serialOf(renewed));
    expect(await servedSerial(grpcPort)).toBe(serialOf(renewed));
  });

  it("when the new key does not match the new certificate then the change is refused and the certificate in force kept", async () => {
    const inForce = await servedSerial(http.port);
    const [a, b] = [await issue(), await issue()];
    install({ cert: a.cert, key: b.key });
    expect(reloader.check()).toBe(false);
    expect(String(refusals.at(-1))).toContain("ROSTER_TLS_KEY_FILE is not the private key");
    expect(await servedSerial(http.port)).toBe(inForce);
    expect(await servedSerial(grpcPort)).toBe(inForce);
    // Once the pair is whole, the next check takes it.
    install(a);
    expect(reloader.check()).toBe(true);
    expect(await servedSerial(grpcPort)).toBe(serialOf(a));
  });
});
