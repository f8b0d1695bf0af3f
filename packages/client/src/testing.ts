// Small in-test servers for UserService: a plain grpc-js server and a connect-node server, both on port 0.
import { createSecureServer, createServer, type Http2SecureServer, type Http2Server } from "node:http2";
import type { AddressInfo } from "node:net";
import { create, fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { ErrorInfoSchema } from "./gen/google/rpc/error_details_pb.js";
import { StatusSchema } from "./gen/google/rpc/status_pb.js";
import { UserSchema } from "./gen/roster/user/v1/user_pb.js";
import { UserLogSchema } from "./gen/roster/user/v1/user_log_pb.js";
import {
  GetUserResponseSchema,
  UserService,
  WatchUserLogsResponseSchema,
} from "./gen/roster/user/v1/user_service_pb.js";

/** What a test server saw of the last call. */
export interface SeenCall {
  authorization: string | undefined;
  /** Milliseconds left until the call's deadline when it arrived; undefined without one. */
  remainingMs: number | undefined;
}

export const missingUserId = "missing";
export const slowUserId = "slow";

function notFound(): { code: number; message: string; errorInfo: MessageShape<typeof ErrorInfoSchema> } {
  return {
    code: Code.NotFound,
    message: "user not found",
    errorInfo: create(ErrorInfoSchema, { reason: "USER_NOT_FOUND", domain: "roster.dev" }),
  };
}

function logEntry(id: string, userId: string) {
  return create(WatchUserLogsResponseSchema, { userLog: create(UserLogSchema, { id, userId }) });
}

function user(id: string) {
  return create(UserSchema, { id, username: `user-${id}` });
}

/** A server certificate with its key, and the CA whose client certificates the server requires, if any (all PEM). */
export interface TestServerTls {
  cert: string;
  key: string;
  requireClientCertificateFrom?: string;
}

export async function startGrpcJsServer(
  tls?: TestServerTls,
): Promise<{ address: string; seen: SeenCall[]; close: () => Promise<void> }> {
  const seen: SeenCall[] = [];
  const record = (call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>) => {
    const deadline = call.getDeadline();
    const value = call.metadata.get("authorization")[0];
    seen.push({
      authorization: typeof value === "string" ? value : undefined,
      remainingMs:
        deadline instanceof Date
          ? deadline.getTime() - Date.now()
          : deadline === Infinity
            ? undefined
            : deadline - Date.now(),
    });
  };
  const definition: grpc.ServiceDefinition = Object.fromEntries(
    UserService.methods.map((m) => {
      const input: DescMessage = m.input;
      const output: DescMessage = m.output;
      const method: grpc.MethodDefinition<MessageShape<DescMessage>, MessageShape<DescMessage>> = {
        path: `/${UserService.typeName}/${m.name}`,
        requestStream: false,
        responseStream: m.methodKind === "server_streaming",
        requestSerialize: (v) => Buffer.from(toBinary(input, v)),
        requestDeserialize: (b) => fromBinary(input, b),
        responseSerialize: (v) => Buffer.from(toBinary(output, v)),
        responseDeserialize: (b) => fromBinary(output, b),
      };
      return [m.localName, method];
    }),
  );
  const handlers: grpc.UntypedServiceImplementation = {
    getUser(call: grpc.ServerUnaryCall<{ userId: string }, unknown>, callback: grpc.sendUnaryData<unknown>) {
      record(call);
      const id = call.request.userId;
      if (id === slowUserId)
        return void setTimeout(() => callback(null, create(GetUserResponseSchema, { user: user(id) })), 2_000).unref();
      if (id !== missingUserId) return callback(null, create(GetUserResponseSchema, { user: user(id) }));
      const { code, message, errorInfo } = notFound();
      const metadata = new grpc.Metadata();
      const status = create(StatusSchema, { code, message, details: [anyPack(ErrorInfoSchema, errorInfo)] });
      metadata.set("grpc-status-details-bin", Buffer.from(toBinary(StatusSchema, status)));
      callback({ code, details: message, metadata });
    },
    watchUserLogs(call: grpc.ServerWritableStream<{ userId: string }, unknown>) {
      record(call);
      call.write(logEntry("1", call.request.userId));
      call.write(logEntry("2", call.request.userId), () => {
        if (call.request.userId !== missingUserId) return call.end();
        call.emit("error", { code: grpc.status.NOT_FOUND, details: "user not found" });
      });
    },
  };
  const server = new grpc.Server();
  server.addService(definition, handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpcServerCredentials(tls), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    address: `127.0.0.1:${port}`,
    seen,
    close: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}

function grpcServerCredentials(tls: TestServerTls | undefined): grpc.ServerCredentials {
  if (tls === undefined) return grpc.ServerCredentials.createInsecure();
  const clientCa = tls.requireClientCertificateFrom;
  return grpc.ServerCredentials.createSsl(
    clientCa === undefined ? null : Buffer.from(clientCa),
    [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }],
    clientCa !== undefined,
  );
}

export async function startConnectServer(
  tls?: TestServerTls,
): Promise<{ baseUrl: string; seen: SeenCall[]; close: () => Promise<void> }> {
  const seen: SeenCall[] = [];
  const impl: Partial<ServiceImpl<typeof UserService>> = {
    async getUser(req, ctx) {
      seen.push({ authorization: ctx.requestHeader.get("authorization") ?? undefined, remainingMs: ctx.timeoutMs() });
      if (req.userId === slowUserId) await new Promise((resolve) => setTimeout(resolve, 2_000).unref());
      if (req.userId !== missingUserId) return { user: user(req.userId) };
      const { code, message, errorInfo } = notFound();
      throw new ConnectError(message, code, undefined, [{ desc: ErrorInfoSchema, value: errorInfo }]);
    },
    async *watchUserLogs(req, ctx) {
      seen.push({ authorization: ctx.requestHeader.get("authorization") ?? undefined, remainingMs: ctx.timeoutMs() });
      yield { userLog: create(UserLogSchema, { id: "1", userId: req.userId }) };
      yield { userLog: create(UserLogSchema, { id: "2", userId: req.userId }) };
      if (req.userId === missingUserId) throw new ConnectError("user not found", Code.NotFound);
    },
  };
  const handler = connectNodeAdapter({ routes: (router) => router.service(UserService, impl) });
  const server: Http2Server | Http2SecureServer =
    tls === undefined
      ? createServer(handler)
      : createSecureServer(
          {
            cert: tls.cert,
            key: tls.key,
            ca: tls.requireClientCertificateFrom,
            requestCert: tls.requireClientCertificateFrom !== undefined,
          },
          handler,
        );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `${tls === undefined ? "http" : "https"}://127.0.0.1:${port}`,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
