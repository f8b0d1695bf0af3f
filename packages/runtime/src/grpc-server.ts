import type { DescMessage, DescMethod, DescService, MessageInitShape } from "@bufbuild/protobuf";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { ContextValues, HandlerContext } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { GrpcHandlerContext, type GrpcCall } from "./grpc-handler-context.js";
import { errorToStatus, type InternalErrorReporter } from "./status-details-encoding.js";
import { malformedRequest } from "./request-decoding.js";
import type { ResponseEncoder, ServiceRegistration } from "./service-registration.js";
import type { TlsConfig, TlsSource } from "./tls-config.js";

export type { ServiceRegistration };

export interface CallGuardInput {
  service: DescService;
  method: DescMethod;
  requestHeader: Headers;
  contextValues: ContextValues;
}

/** Runs before every handler on both servers; throws a ConnectError to refuse (e.g. UNAUTHENTICATED). May be sync (fast path) or async. */
export type CallGuard = (call: CallGuardInput) => void | Promise<void>;

export interface GrpcServerOptions {
  services: readonly ServiceRegistration[];
  guard?: CallGuard;
  /** Called with every error that is not a ConnectError (it is sent as INTERNAL "internal error", the cause never leaves the process). */
  onInternalError?: InternalErrorReporter;
  /** Larger requests are refused with RESOURCE_EXHAUSTED. Default 4 MiB. */
  maxReceiveMessageBytes?: number;
}

const defaultMaxReceiveMessageBytes = 4 * 1024 * 1024;

// A deserializer that throws makes grpc-js answer INTERNAL; this marker lets the
// adapter answer INVALID_ARGUMENT instead.
const undecodable = Symbol("undecodable");

type Handler = (input: unknown, ctx: HandlerContext) => unknown;

/** Everything about one method that does not change per call, built at registration. */
interface MethodRuntime {
  readonly method: DescMethod;
  readonly handler: Handler;
  readonly guard: CallGuard | undefined;
  readonly onInternalError: InternalErrorReporter | undefined;
  readonly encode: (value: unknown) => Buffer;
}

const grpcMethodType = {
  unary: "unary",
  server_streaming: "serverStream",
  client_streaming: "clientStream",
  bidi_streaming: "bidi",
} as const;

/**
 * Serves protobuf-es service implementations (the same ServiceImpl objects
 * connect-node serves) on a native grpc-js server. The server is not bound yet.
 */
export function createGrpcServer(options: GrpcServerOptions): grpc.Server {
  const server = new grpc.Server({
    "grpc.max_receive_message_length": options.maxReceiveMessageBytes ?? defaultMaxReceiveMessageBytes,
    // Nothing serves channelz here, and its bookkeeping cost every call about 4 µs of a no-op's 47 (npm run bench's transport rows).
    "grpc.enable_channelz": 0,
  });
  for (const { service, impl, encoders } of options.services) {
    const handlers = impl as Record<string, Handler | undefined>;
    const custom = encoders as Record<string, ResponseEncoder | undefined> | undefined;
    for (const method of service.methods) {
      const handler = handlers[method.localName];
      const rt: MethodRuntime = {
        method,
        handler: handler?.bind(impl) ?? unimplemented(method),
        guard: options.guard,
        onInternalError: options.onInternalError,
        encode: encoder(method.output, custom?.[method.localName]),
      };
      server.register(
        `/${service.typeName}/${method.name}`,
        handleCall(rt),
        passThrough,
        decoder(method.input),
        grpcMethodType[method.methodKind],
      );
    }
  }
  return server;
}

/** grpc-js's view of a TLS source: it asks for the certificate and the CA, and hears of renewals. */
function certificateProvider(source: TlsSource): grpc.experimental.CertificateProvider {
  const identity = (tls: TlsConfig) =>
    tls.identity === undefined ? null : { certificate: tls.identity.cert, privateKey: tls.identity.key };
  const ca = (tls: TlsConfig) => (tls.ca === undefined ? null : { caCertificate: tls.ca });
  const identityListeners = new Set<grpc.experimental.IdentityCertificateUpdateListener>();
  const caListeners = new Set<grpc.experimental.CaCertificateUpdateListener>();
  source.onChange((tls) => {
    for (const listener of identityListeners) listener(identity(tls));
    for (const listener of caListeners) listener(ca(tls));
  });
  // grpc-js subscribes before it watches for the answer, so the first one must come later.
  return {
    addIdentityCertificateListener(listener) {
      identityListeners.add(listener);
      process.nextTick(() => listener(identity(source.tls)));
    },
    removeIdentityCertificateListener: (listener) => void identityListeners.delete(listener),
    addCaCertificateListener(listener) {
      caListeners.add(listener);
      process.nextTick(() => listener(ca(source.tls)));
    },
    removeCaCertificateListener: (listener) => void caListeners.delete(listener),
  };
}

/** TLS when the source holds a certificate (client certificates checked against its CA when required), plaintext otherwise. */
function serverCredentials(source: TlsSource | undefined): grpc.ServerCredentials {
  if (source?.tls.identity === undefined) return grpc.ServerCredentials.createInsecure();
  const provider = certificateProvider(source);
  const requireClientCertificate = source.tls.clientAuth === "require";
  // The first provider gives the certificate and key, the second (when client certificates are required) the CA.
  return grpc.experimental.createCertificateProviderServerCredentials(
    provider,
    requireClientCertificate ? provider : null,
    requireClientCertificate,
  );
}

/** Binds the server and resolves the bound port (useful with port 0). */
export function listenGrpc(server: grpc.Server, host: string, port: number, tls?: TlsSource): Promise<number> {
  const address = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise((resolve, reject) => {
    server.bindAsync(address, serverCredentials(tls), (err, boundPort) => {
      if (err) reject(err);
      else resolve(boundPort);
    });
  });
}

function handleCall(rt: MethodRuntime): grpc.UntypedHandleCall {
  switch (rt.method.methodKind) {
    case "unary":
      return (call: grpc.ServerUnaryCall<unknown, Buffer>, callback: grpc.sendUnaryData<Buffer>) =>
        respondOnce(rt, call, call.request, callback);
    case "client_streaming":
      return (call: grpc.ServerReadableStream<unknown, Buffer>, callback: grpc.sendUnaryData<Buffer>) =>
        respondOnce(rt, call, readRequests(call), callback);
    case "server_streaming":
      return (call: grpc.ServerWritableStream<unknown, Buffer>) => void respondStream(rt, call, call.request, call);
    case "bidi_streaming":
      return (call: grpc.ServerDuplexStream<unknown, Buffer>) => void respondStream(rt, call, readRequests(call), call);
  }
}

/** Runs the guard, then the handler; stays synchronous unless one of them is not. */
function invoke(rt: MethodRuntime, ctx: GrpcHandlerContext, input: unknown): unknown {
  if (input === undecodable) throw malformedRequest("cannot decode request");
  if (rt.guard !== undefined) {
    const pending = rt.guard(ctx);
    if (pending !== undefined) return pending.then(() => rt.handler(input, ctx));
  }
  return rt.handler(input, ctx);
}

function respondOnce(rt: MethodRuntime, call: GrpcCall, input: unknown, callback: grpc.sendUnaryData<Buffer>): void {
  const ctx = new GrpcHandlerContext(rt.method, call);
  let result: unknown;
  try {
    result = invoke(rt, ctx, input);
  } catch (err) {
    return callback(failure(rt, ctx, err));
  }
  if (result instanceof Promise) {
    result.then(
      (value: unknown) => succeed(rt, ctx, value, callback),
      (err: unknown) => callback(failure(rt, ctx, err)),
    );
  } else {
    succeed(rt, ctx, result, callback);
  }
}

function succeed(
  rt: MethodRuntime,
  ctx: GrpcHandlerContext,
  value: unknown,
  callback: grpc.sendUnaryData<Buffer>,
): void {
  let bytes: Buffer;
  try {
    bytes = rt.encode(value);
  } catch (err) {
    return callback(failure(rt, ctx, err));
  }
  ctx.complete();
  ctx.flushResponseHeader();
  callback(null, bytes, ctx.trailerMetadata());
}

function failure(rt: MethodRuntime, ctx: GrpcHandlerContext, err: unknown): grpc.StatusObject {
  ctx.complete();
  ctx.flushResponseHeader();
  return errorToStatus(err, rt.method, ctx.trailerMetadata(), rt.onInternalError);
}

type WritableCall = grpc.ServerWritableStream<unknown, Buffer> | grpc.ServerDuplexStream<unknown, Buffer>;

async function respondStream(rt: MethodRuntime, call: GrpcCall, input: unknown, out: WritableCall): Promise<void> {
  const ctx = new GrpcHandlerContext(rt.method, call);
  try {
    const messages = (await invoke(rt, ctx, input)) as AsyncIterable<unknown>;
    for await (const message of messages) {
      if (out.cancelled) return;
      const bytes = rt.encode(message);
      ctx.flushResponseHeader();
      if (!out.write(bytes)) await drainedOrCancelled(out);
    }
    if (out.cancelled) return;
    ctx.complete();
    ctx.flushResponseHeader();
    out.end(ctx.trailerMetadata());
  } catch (err) {
    // Once the client is gone there is nobody to tell, and the error is usually that very abort.
    if (out.cancelled) return;
    // grpc-js's documented way to end a stream with a status.
    out.emit("error", failure(rt, ctx, err));
  }
}

function drainedOrCancelled(out: WritableCall): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off("drain", done);
      out.off("cancelled", done);
      resolve();
    };
    out.once("drain", done);
    out.once("cancelled", done);
  });
}

async function* readRequests(
  call: grpc.ServerReadableStream<unknown, Buffer> | grpc.ServerDuplexStream<unknown, Buffer>,
): AsyncIterable<unknown> {
  // By default a finished iteration destroys the stream, which for bidi would also
  // destroy the writable side before the status is sent.
  for await (const message of call.iterator({ destroyOnReturn: false })) {
    if (message === undecodable) throw malformedRequest("cannot decode request");
    yield message;
  }
}

function unimplemented(method: DescMethod): Handler {
  const message = `${method.parent.typeName}.${method.name} is not implemented`;
  return () => {
    throw new ConnectError(message, Code.Unimplemented);
  };
}

function encoder(schema: DescMessage, custom: ResponseEncoder | undefined): (value: unknown) => Buffer {
  return (value) => {
    const bytes = custom?.(value) ?? toBinary(schema, create(schema, value as MessageInitShape<DescMessage>));
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function decoder(schema: DescMessage): (bytes: Buffer) => unknown {
  return (bytes) => {
    try {
      return fromBinary(schema, bytes);
    } catch {
      return undecodable;
    }
  };
}

function passThrough(bytes: Buffer): Buffer {
  return bytes;
}
