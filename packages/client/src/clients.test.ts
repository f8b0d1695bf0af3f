import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { closeClient } from "./close-client.js";
import { createUserServiceClient, type RosterClientOptions } from "./clients.js";
import { ErrorInfoSchema } from "./gen/google/rpc/error_details_pb.js";
import { missingUserId, slowUserId, startConnectServer, startGrpcJsServer, type SeenCall } from "./testing.js";

type TransportName = RosterClientOptions["transport"];

interface TestServer {
  seen: SeenCall[];
  close: () => Promise<void>;
  target: string;
}

const servers = new Map<"grpc-js" | "connect", TestServer>();
const openClients: object[] = [];

beforeAll(async () => {
  const grpcJs = await startGrpcJsServer();
  const connect = await startConnectServer();
  servers.set("grpc-js", { ...grpcJs, target: grpcJs.address });
  servers.set("connect", { ...connect, target: connect.baseUrl });
});

afterEach(() => {
  openClients.splice(0).forEach(closeClient);
});

afterAll(async () => {
  await Promise.all([...servers.values()].map((s) => s.close()));
});

function clientFor(transport: TransportName, extra: Partial<RosterClientOptions> = {}) {
  const server = servers.get(transport === "grpc-js" ? "grpc-js" : "connect");
  if (server === undefined) throw new Error("test servers are not running");
  const options =
    transport === "grpc-js"
      ? ({ transport, address: server.target, ...extra } as RosterClientOptions)
      : ({ transport, baseUrl: server.target, ...extra } as RosterClientOptions);
  const client = createUserServiceClient(options);
  openClients.push(client);
  return { client, lastSeen: () => server.seen.at(-1) };
}

describe.each<TransportName>(["grpc-js", "connect", "grpc", "grpc-web"])("over %s", (transport) => {
  it("when a credential is configured then the server receives it as a bearer header", async () => {
    const { client, lastSeen } = clientFor(transport, { credential: "key-1" });
    const res = await client.getUser({ userId: "u1" });
    expect(res.user?.username).toBe("user-u1");
    expect(lastSeen()?.authorization).toBe("Bearer key-1");
  });

  it("when the credential is a function then it is asked again for every call", async () => {
    let n = 0;
    const { client, lastSeen } = clientFor(transport, { credential: async () => `token-${++n}` });
    await client.getUser({ userId: "u1" });
    expect(lastSeen()?.authorization).toBe("Bearer token-1");
    await client.getUser({ userId: "u1" });
    expect(lastSeen()?.authorization).toBe("Bearer token-2");
  });

  it("when no credential is configured then no authorization header is sent", async () => {
    const { client, lastSeen } = clientFor(transport);
    await client.getUser({ userId: "u1" });
    expect(lastSeen()?.authorization).toBeUndefined();
  });

  it("when a call sets no timeout then the default deadline reaches the server, and a call's own timeout wins", async () => {
    const { client, lastSeen } = clientFor(transport, { timeoutMs: 5_000 });
    await client.getUser({ userId: "u1" });
    expect(lastSeen()?.remainingMs).toBeGreaterThan(4_000);
    expect(lastSeen()?.remainingMs).toBeLessThanOrEqual(5_000);
    await client.getUser({ userId: "u1" }, { timeoutMs: 1_500 });
    expect(lastSeen()?.remainingMs).toBeGreaterThan(500);
    expect(lastSeen()?.remainingMs).toBeLessThanOrEqual(1_500);
  });

  it("when the server is slower than the deadline then the call fails with DEADLINE_EXCEEDED", async () => {
    const { client } = clientFor(transport, { timeoutMs: 200 });
    const started = Date.now();
    const err = await client.getUser({ userId: slowUserId }).catch((e: unknown) => e);
    expect(ConnectError.from(err).code).toBe(Code.DeadlineExceeded);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it("when the server fails with details then the ConnectError carries code, message and ErrorInfo", async () => {
    const { client } = clientFor(transport);
    const err = await client.getUser({ userId: missingUserId }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    const connectErr = err as ConnectError;
    expect(connectErr.code).toBe(Code.NotFound);
    expect(connectErr.rawMessage).toBe("user not found");
    expect(connectErr.findDetails(ErrorInfoSchema).map((d) => d.reason)).toEqual(["USER_NOT_FOUND"]);
  });

  it("when a method streams then every message arrives and a final error is raised after them", async () => {
    const { client, lastSeen } = clientFor(transport, { credential: "key-2" });
    const ids: string[] = [];
    for await (const res of client.watchUserLogs({ userId: "u1" })) ids.push(res.userLog?.id ?? "");
    expect(ids).toEqual(["1", "2"]);
    expect(lastSeen()?.authorization).toBe("Bearer key-2");

    const got: string[] = [];
    const err = await (async () => {
      for await (const res of client.watchUserLogs({ userId: missingUserId })) got.push(res.userLog?.id ?? "");
    })().catch((e: unknown) => e);
    expect(got).toEqual(["1", "2"]);
    expect(ConnectError.from(err).code).toBe(Code.NotFound);
  });
});
