import * as http2 from "node:http2";
import * as https from "node:https";
import { createTestCertificateAuthority, type CertificateAndKey } from "@roster/test-pki";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { listenHttp, type HttpHandler, type HttpListener } from "./http-server.js";
import { fixedTls, type TlsConfig } from "./tls-config.js";

// Answers with the HTTP version the request arrived on.
const versionEcho = ((req, res) => {
  res.writeHead(200, { "content-type": "text/plain" });
  res.end(req.httpVersion);
}) as HttpHandler;

let ca: string;
let otherCa: string;
let server: CertificateAndKey;
let client: CertificateAndKey;

beforeAll(async () => {
  const authority = await createTestCertificateAuthority();
  ca = authority.cert;
  otherCa = (await createTestCertificateAuthority("Another CA")).cert;
  server = await authority.issue({ commonName: "localhost", ips: ["127.0.0.1"], usage: "server" });
  client = await authority.issue({ commonName: "a client", usage: "client" });
});

let listener: HttpListener | undefined;
afterEach(async () => {
  await listener?.close(0);
  listener = undefined;
});

async function listenTls(clientAuth: TlsConfig["clientAuth"] = "none"): Promise<number> {
  const tls: TlsConfig = {
    identity: { cert: Buffer.from(server.cert), key: Buffer.from(server.key) },
    ca: Buffer.from(ca),
    clientAuth,
    files: {},
    reloadIntervalMs: 0,
  };
  listener = await listenHttp(versionEcho, "127.0.0.1", 0, fixedTls(tls));
  return listener.port;
}

interface ClientTls {
  ca?: string;
  cert?: string;
  key?: string;
}

function getH1(port: number, options: ClientTls): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: "127.0.0.1", port, path: "/", agent: false, ...options }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve(body));
    });
    req.on("error", reject);
  });
}

function getH2(port: number, options: ClientTls): Promise<string> {
  return new Promise((resolve, reject) => {
    // The request starts only once the handshake succeeded, so a refused handshake reports its own error.
    const session = http2.connect(`https://127.0.0.1:${port}`, options, () => {
      const req = session.request({ ":path": "/" });
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        session.close();
        resolve(body);
      });
      req.on("error", reject);
    });
    session.on("error", reject);
  });
}

async function failureOf(call: Promise<unknown>): Promise<string> {
  return call.then(
    () => "succeeded",
    (err: NodeJS.ErrnoException) => err.code ?? err.message,
  );
}

describe("listenHttp with TLS", () => {
  it("when a client trusts the CA then HTTP/2 (ALPN h2) and HTTP/1.1 are both served", async () => {
    const port = await listenTls();
    expect(await getH2(port, { ca })).toBe("2.0");
    expect(await getH1(port, { ca })).toBe("1.1");
  });

  it("when a client does not trust the CA then the handshake fails on both protocols", async () => {
    const port = await listenTls();
    expect(await failureOf(getH1(port, {}))).toBe("SELF_SIGNED_CERT_IN_CHAIN");
    expect(await failureOf(getH2(port, { ca: otherCa }))).toBe("SELF_SIGNED_CERT_IN_CHAIN");
  });

  it("when a client speaks plaintext to the TLS port then it gets no answer", async () => {
    const port = await listenTls();
    const reply = await failureOf(fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5_000) }));
    expect(reply).not.toBe("succeeded");
  });

  it("when client certificates are required then a client without one is refused and one with a certificate from the CA is served", async () => {
    const port = await listenTls("require");
    // The server's alert, or a reset when the connection is gone before the client reads it.
    expect(await failureOf(getH1(port, { ca }))).toMatch(/^(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED|ECONNRESET)$/);
    expect(await failureOf(getH2(port, { ca }))).toMatch(/^(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED|ECONNRESET)$/);
    const foreign = await (await createTestCertificateAuthority("Another CA")).issue({
      commonName: "a stranger",
      usage: "client",
    });
    expect(await failureOf(getH1(port, { ca, ...foreign }))).toMatch(/^(ERR_SSL_TLSV1_ALERT_UNKNOWN_CA|ECONNRESET)$/);
    expect(await getH1(port, { ca, ...client })).toBe("1.1");
    expect(await getH2(port, { ca, ...client })).toBe("2.0");
  });

  it("when closing with an idle HTTP/1.1 keep-alive connection open then close does not wait for the grace period", async () => {
    const port = await listenTls();
    const agent = new https.Agent({ keepAlive: true, ca });
    await new Promise<void>((resolve, reject) =>
      https.get({ host: "127.0.0.1", port, agent }, (res) => res.resume().on("end", resolve)).on("error", reject),
    );
    const closing = listener!.close(60_000);
    listener = undefined;
    await closing;
    agent.destroy();
  });
});
