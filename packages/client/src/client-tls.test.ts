import { Code, ConnectError } from "@connectrpc/connect";
import { createTestCertificateAuthority, type CertificateAndKey } from "@roster/test-pki";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ClientTls } from "./client-tls.js";
import { createUserServiceClient, type RosterClientOptions } from "./clients.js";
import { closeClient } from "./close-client.js";
import { startConnectServer, startGrpcJsServer, type TestServerTls } from "./testing.js";

type TransportName = RosterClientOptions["transport"];
interface Target {
  /** host:port for grpc-js, the https:// base URL otherwise. */
  grpcJs: string;
  connect: string;
  close(): Promise<void>;
}

let ca: string;
let client: CertificateAndKey;
let strangerCa: string;
let stranger: CertificateAndKey;
let open: Target;
let mutual: Target;
const clients: object[] = [];

async function startBoth(tls: TestServerTls): Promise<Target> {
  const [grpcJs, connect] = await Promise.all([startGrpcJsServer(tls), startConnectServer(tls)]);
  return {
    grpcJs: grpcJs.address,
    connect: connect.baseUrl,
    close: async () => void (await Promise.all([grpcJs.close(), connect.close()])),
  };
}

beforeAll(async () => {
  const authority = await createTestCertificateAuthority();
  const other = await createTestCertificateAuthority("Another CA");
  ca = authority.cert;
  strangerCa = other.cert;
  const server = await authority.issue({ commonName: "localhost", ips: ["127.0.0.1"], usage: "server" });
  client = await authority.issue({ commonName: "a client", usage: "client" });
  stranger = await other.issue({ commonName: "a stranger", usage: "client" });
  open = await startBoth(server);
  mutual = await startBoth({ ...server, requireClientCertificateFrom: ca });
});
afterEach(() => clients.splice(0).forEach(closeClient));
afterAll(async () => {
  await open?.close();
  await mutual?.close();
});

function clientOf(transport: TransportName, target: Target, tls: ClientTls | undefined) {
  const options: RosterClientOptions =
    transport === "grpc-js"
      ? { transport, address: target.grpcJs, tls, timeoutMs: 5_000 }
      : { transport, baseUrl: target.connect, tls, timeoutMs: 5_000 };
  const c = createUserServiceClient(options);
  clients.push(c);
  return c;
}

async function codeOf(call: Promise<unknown>): Promise<Code | "OK"> {
  try {
    await call;
    return "OK";
  } catch (err) {
    return ConnectError.from(err).code;
  }
}

describe.each<TransportName>(["grpc-js", "connect", "grpc", "grpc-web"])("TLS over %s", (transport) => {
  it("when the client trusts the server's CA then calls succeed", async () => {
    const res = await clientOf(transport, open, { ca }).getUser({ userId: "u1" });
    expect(res.user?.username).toBe("user-u1");
  });

  it("when the client trusts another CA, or only the system's roots, then calls fail with UNAVAILABLE", async () => {
    expect(await codeOf(clientOf(transport, open, { ca: strangerCa }).getUser({ userId: "u1" }))).toBe(
      Code.Unavailable,
    );
    const systemRoots = transport === "grpc-js" ? { ca: undefined } : undefined;
    expect(await codeOf(clientOf(transport, open, systemRoots).getUser({ userId: "u1" }))).toBe(Code.Unavailable);
  });

  it("when the server requires a client certificate then one from its CA is accepted, none or a stranger's is refused", async () => {
    expect((await clientOf(transport, mutual, { ca, ...client }).getUser({ userId: "u1" })).user?.username).toBe(
      "user-u1",
    );
    // Under TLS 1.3 the server judges the client's certificate after the client has finished its side of the
    // handshake, so an HTTP/2 client may already have sent the request and sees it cancelled with the session.
    const refused = transport === "grpc-js" ? [Code.Unavailable] : [Code.Unavailable, Code.Canceled];
    expect(refused).toContain(await codeOf(clientOf(transport, mutual, { ca }).getUser({ userId: "u1" })));
    expect(refused).toContain(await codeOf(clientOf(transport, mutual, { ca, ...stranger }).getUser({ userId: "u1" })));
  });
});

describe("TLS options", () => {
  it("when tls is given with an http:// base URL then the client is refused instead of sending plaintext", () => {
    expect(() => createUserServiceClient({ transport: "connect", baseUrl: "http://127.0.0.1:1", tls: { ca } })).toThrow(
      "tls needs an https:// baseUrl",
    );
  });

  it("when a client certificate comes without its key then the client is refused", () => {
    expect(() =>
      createUserServiceClient({ transport: "grpc-js", address: "127.0.0.1:1", tls: { cert: client.cert } }),
    ).toThrow("tls.cert and tls.key must be given together");
  });
});
