// A plain @grpc/grpc-js client built from nothing but the .proto files in proto/,
// as any gRPC user would generate one: no Roster code involved.
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";

const protoRoot = fileURLToPath(new URL("../../proto", import.meta.url));

type Callback = (err: grpc.ServiceError | null, response: unknown) => void;
type UnaryMethod = (request: object, metadata: grpc.Metadata, options: grpc.CallOptions, callback: Callback) => void;
type StreamMethod = (
  request: object,
  metadata: grpc.Metadata,
  options?: grpc.CallOptions,
) => grpc.ClientReadableStream<unknown>;
type DuplexMethod = (metadata?: grpc.Metadata) => grpc.ClientDuplexStream<unknown, unknown>;

export interface PlainClient extends grpc.Client {
  [method: string]: unknown;
}

/** Loads `file` (relative to proto/) and connects to `service` (fully qualified) at 127.0.0.1:port. */
export function plainClient(file: string, service: string, port: number): PlainClient {
  const definition = protoLoader.loadSync(file, {
    includeDirs: [protoRoot],
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(definition);
  let node: unknown = pkg;
  for (const part of service.split(".")) node = (node as Record<string, unknown>)[part];
  const Client = node as typeof grpc.Client;
  return new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as PlainClient;
}

export function bearer(credential: string | undefined): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (credential !== undefined) metadata.set("authorization", `Bearer ${credential}`);
  return metadata;
}

/** A unary call as a promise; rejects with the grpc ServiceError. */
export function unary<T = Record<string, unknown>>(
  client: PlainClient,
  method: string,
  request: object,
  metadata: grpc.Metadata = new grpc.Metadata(),
  timeoutMs = 10_000,
): Promise<T> {
  const fn = client[method] as UnaryMethod;
  return new Promise((resolve, reject) => {
    fn.call(client, request, metadata, { deadline: Date.now() + timeoutMs }, (err, response) =>
      err ? reject(err) : resolve(response as T),
    );
  });
}

/** Calls `fn` and returns the grpc status code it fails with (or "OK"). */
export async function codeOf(fn: () => Promise<unknown>): Promise<grpc.status | "OK"> {
  try {
    await fn();
    return "OK";
  } catch (err) {
    const code = (err as grpc.ServiceError).code;
    if (typeof code !== "number") throw err;
    return code;
  }
}

export function serverStream(
  client: PlainClient,
  method: string,
  request: object,
  metadata = new grpc.Metadata(),
  options: grpc.CallOptions = {},
) {
  return (client[method] as StreamMethod).call(client, request, metadata, options);
}

export function duplex(client: PlainClient, method: string, metadata = new grpc.Metadata()) {
  return (client[method] as DuplexMethod).call(client, metadata);
}

export { grpc };

/** The current time as a google.protobuf.Timestamp in proto-loader's object form. */
export function timestampNow(): { seconds: number; nanos: number } {
  const now = Date.now();
  return { seconds: Math.floor(now / 1000), nanos: (now % 1000) * 1_000_000 };
}
