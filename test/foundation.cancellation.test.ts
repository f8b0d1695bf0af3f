import { timestampNow } from "@bufbuild/protobuf/wkt";
import * as http2 from "node:http2";
import * as net from "node:net";
import { Code, ConnectError } from "@connectrpc/connect";
import { createUserServiceClient, closeClient } from "@roster/client";
import type { ServiceProcess } from "@roster/dev-stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bearer,
  grpc,
  plainClient,
  serverStream,
  timestampNow as plainTimestampNow,
  unary,
  type PlainClient,
} from "./helpers/plain-grpc.js";
import { stackInfo } from "./helpers/stack-info.js";
import { startExtraUserService } from "./helpers/extra-services.js";

const stack = stackInfo();
const watchMethod = "roster.user.v1.UserService/WatchUserLogs";
const reflectionMethod = "grpc.reflection.v1.ServerReflection/ServerReflectionInfo";

let service: ServiceProcess;
let users: PlainClient;

beforeAll(async () => {
  service = await startExtraUserService(stack, { LOG_LEVEL: "debug" });
  users = plainClient("roster/user/v1/user_service.proto", "roster.user.v1.UserService", service.grpcPort);
});

afterAll(async () => {
  users?.close();
  await service?.stop();
});

/** Writes one log entry (a new user), so a watch started before it has something to deliver. */
async function writeEntry(): Promise<void> {
  await unary(
    users,
    "createUser",
    { username: `cancel_${Date.now()}_${Math.random().toString(36).slice(2, 8)}` },
    bearer(stack.apiKey),
  );
}

/** The value of roster_rpc_handled_total for `method` and `code` (0 when absent). */
async function handled(method: string, code: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${service.httpPort}/metrics`)).text();
  const line = text
    .split("\n")
    .find(
      (l) =>
        l.startsWith("roster_rpc_handled_total{") && l.includes(`method="${method}"`) && l.includes(`code="${code}"`),
    );
  return line === undefined ? 0 : Number(line.split(" ").at(-1));
}

const logRecords = () =>
  service.output.flatMap((line) => {
    try {
      return [JSON.parse(line) as { level?: string; msg?: string; method?: string; code?: string }];
    } catch {
      return [];
    }
  });

describe("a client cancelling its call", () => {
  it("when a native gRPC client cancels WatchUserLogs then it is counted as Canceled and logged at debug, not as an internal error", async () => {
    const watch = serverStream(users, "watchUserLogs", { startTime: plainTimestampNow() }, bearer(stack.apiKey));
    watch.on("error", () => undefined);
    const first = new Promise((resolve) => watch.once("data", resolve));
    await writeEntry();
    await first;
    watch.cancel();

    await expect.poll(() => handled(watchMethod, "Canceled")).toBe(1);
    expect(await handled(watchMethod, "Internal")).toBe(0);
    const records = logRecords();
    expect(records.filter((r) => r.level === "error")).toEqual([]);
    expect(records).toContainEqual(expect.objectContaining({ level: "debug", method: watchMethod, code: "Canceled" }));
  });

  it("when a Connect client aborts WatchUserLogs then it is counted as Canceled, not as an internal error", async () => {
    const client = createUserServiceClient({
      transport: "connect",
      baseUrl: `http://127.0.0.1:${service.httpPort}`,
      credential: stack.apiKey,
    });
    const abort = new AbortController();
    const before = await handled(watchMethod, "Canceled");
    try {
      const watching = (async () => {
        for await (const _ of client.watchUserLogs({ startTime: timestampNow() }, { signal: abort.signal }))
          abort.abort();
      })().catch(() => undefined);
      await writeEntry();
      await watching;
    } finally {
      closeClient(client);
    }

    await expect.poll(() => handled(watchMethod, "Canceled")).toBe(before + 1);
    expect(await handled(watchMethod, "Internal")).toBe(0);
    expect(logRecords().filter((r) => r.level === "error")).toEqual([]);
  });

  it("when a watch outlives its deadline (grpcurl -max-time) on either port then it is counted as an abandoned call, not as an internal error", async () => {
    // DeadlineExceeded as a rule; Canceled when a loaded machine notices the hang-up more than the
    // 50 ms slack before the deadline it knows. Either way, the client's doing, never Internal.
    const abandoned = async () =>
      (await handled(watchMethod, "DeadlineExceeded")) + (await handled(watchMethod, "Canceled"));
    const before = await abandoned();
    const native = serverStream(users, "watchUserLogs", {}, bearer(stack.apiKey), { deadline: Date.now() + 300 });
    const nativeStatus = new Promise<number>((resolve) =>
      native.on("status", (status: { code: number }) => resolve(status.code)),
    );
    native.on("error", () => undefined);
    native.on("data", () => undefined);
    const client = createUserServiceClient({
      transport: "connect",
      baseUrl: `http://127.0.0.1:${service.httpPort}`,
      credential: stack.apiKey,
    });
    try {
      const connectCode = await (async () => {
        for await (const _ of client.watchUserLogs({}, { timeoutMs: 300 })) continue;
        return undefined;
      })().catch((err: unknown) => ConnectError.from(err).code);
      expect([await nativeStatus, connectCode]).toEqual([grpc.status.DEADLINE_EXCEEDED, Code.DeadlineExceeded]);
    } finally {
      closeClient(client);
    }

    await expect.poll(abandoned).toBe(before + 2);
    expect(await handled(watchMethod, "Internal")).toBe(0);
    expect(logRecords().filter((r) => r.level === "error")).toEqual([]);
  });

  it("when a reflection client's process exits after its answer then the call is counted as Canceled, not Internal", async () => {
    // What grpcurl does: ask, read the answer, exit; the connection just drops.
    const socket = net.connect(service.grpcPort, "127.0.0.1");
    const session = http2.connect(`http://127.0.0.1:${service.grpcPort}`, { createConnection: () => socket });
    session.on("error", () => undefined);
    const stream = session.request({
      ":method": "POST",
      ":path": `/${reflectionMethod}`,
      "content-type": "application/grpc",
      te: "trailers",
    });
    stream.on("error", () => undefined);
    const answered = new Promise((resolve) => stream.once("data", resolve));
    // One length-prefixed ServerReflectionRequest { list_services: "" } (field 7, empty).
    stream.write(Buffer.from([0, 0, 0, 0, 2, 0x3a, 0x00]));
    await answered;
    socket.destroy();

    await expect.poll(() => handled(reflectionMethod, "Canceled")).toBe(1);
    expect(await handled(reflectionMethod, "Internal")).toBe(0);
    expect(logRecords().filter((r) => r.level === "error")).toEqual([]);
  });
});
