import {
  create,
  fromBinary,
  toBinary,
  type DescMessage,
  type DescMethod,
  type DescService,
  type MessageInitShape,
  type MessageShape,
} from "@bufbuild/protobuf";
import { Code, ConnectError, type CallOptions, type Client } from "@connectrpc/connect";
import {
  Client as GrpcClient,
  credentials as grpcCredentials,
  Metadata,
  type CallOptions as GrpcCallOptions,
  type ChannelCredentials,
  type ChannelOptions,
  type ClientUnaryCall,
  type Interceptor,
  type ServiceError,
} from "@grpc/grpc-js";
import { onClose } from "./close-client.js";
import type { Credential } from "./credential.js";
import { createGrpcJsAuthInterceptor, createGrpcJsDeadlineInterceptor } from "./grpc-js-interceptors.js";
import { connectErrorFromGrpc, metadataToHeaders } from "./status-details-decoding.js";

export interface GrpcJsClientOptions {
  /** Channel credentials; plaintext (`createInsecure()`) when omitted. */
  channelCredentials?: ChannelCredentials;
  /** Sent as `authorization: Bearer <credential>` on every call. */
  credential?: Credential;
  /** Deadline for calls that set no `timeoutMs` of their own. */
  timeoutMs?: number;
  /** Further grpc-js interceptors; they run after the auth and deadline ones. */
  interceptors?: Interceptor[];
  /** grpc-js channel options, such as `grpc.max_receive_message_length`. */
  channelOptions?: ChannelOptions;
}

type AnyMethod = DescMethod & { input: DescMessage; output: DescMessage };
type Call = (request: MessageInitShape<DescMessage>, options?: CallOptions) => unknown;

/**
 * Builds a native @grpc/grpc-js client for any service from its protobuf-es
 * descriptor, with the promise shape of Connect's `Client<T>`: unary methods
 * return promises, server-streaming methods async iterables, and failures are
 * ConnectErrors carrying the server's `google.rpc.Status` details.
 */
export function createGrpcJsClient<T extends DescService>(
  service: T,
  address: string,
  options: GrpcJsClientOptions = {},
): Client<T> {
  const interceptors: Interceptor[] = [];
  if (options.credential !== undefined) interceptors.push(createGrpcJsAuthInterceptor(options.credential));
  if (options.timeoutMs !== undefined) interceptors.push(createGrpcJsDeadlineInterceptor(options.timeoutMs));
  interceptors.push(...(options.interceptors ?? []));
  const grpc = new GrpcClient(address, options.channelCredentials ?? grpcCredentials.createInsecure(), {
    ...options.channelOptions,
    interceptors,
  });
  const client: Record<string, Call> = {};
  for (const method of service.methods as AnyMethod[]) {
    client[method.localName] = callFor(grpc, `/${service.typeName}/${method.name}`, method);
  }
  onClose(client, () => grpc.close());
  return client as Client<T>;
}

/** Where one method's calls go, and how its messages cross the wire. */
interface Route {
  grpc: GrpcClient;
  path: string;
  serialize: (value: MessageShape<DescMessage>) => Buffer;
  deserialize: (bytes: Buffer) => MessageShape<DescMessage>;
}

function callFor(grpc: GrpcClient, path: string, method: AnyMethod): Call {
  const route: Route = {
    grpc,
    path,
    serialize: (value) => Buffer.from(toBinary(method.input, value)),
    deserialize: (bytes) => fromBinary(method.output, bytes),
  };
  switch (method.methodKind) {
    case "unary":
      return (request, callOptions = {}) =>
        new Promise((resolve, reject) => {
          if (callOptions.signal?.aborted) return reject(new ConnectError("the call was aborted", Code.Canceled));
          const message = create(method.input, request);
          const call = startUnary(route, message, callOptions, (err, response) => {
            callOptions.signal?.removeEventListener("abort", cancel);
            if (err) reject(err);
            else resolve(response);
          });
          const cancel = () => call.cancel();
          callOptions.signal?.addEventListener("abort", cancel, { once: true });
          reportMetadata(call, callOptions);
        });
    case "server_streaming":
      return (request, callOptions = {}) => serverStream(route, create(method.input, request), callOptions);
    default:
      return () => {
        throw new ConnectError(
          `${method.methodKind} methods are not supported by the grpc-js client`,
          Code.Unimplemented,
        );
      };
  }
}

function startUnary(
  { grpc, path, serialize, deserialize }: Route,
  request: MessageShape<DescMessage>,
  callOptions: CallOptions,
  done: (err: ConnectError | null, response?: MessageShape<DescMessage>) => void,
): ClientUnaryCall {
  try {
    const metadata = toMetadata(callOptions.headers);
    return grpc.makeUnaryRequest(
      path,
      serialize,
      deserialize,
      request,
      metadata,
      toGrpcCallOptions(callOptions),
      (err, response) => done(err ? connectErrorFromGrpc(err) : null, response),
    );
  } catch (err) {
    // grpc-js throws synchronously on a closed channel.
    throw ConnectError.from(err);
  }
}

async function* serverStream(
  { grpc, path, serialize, deserialize }: Route,
  request: MessageShape<DescMessage>,
  callOptions: CallOptions,
): AsyncGenerator<MessageShape<DescMessage>> {
  if (callOptions.signal?.aborted) throw new ConnectError("the call was aborted", Code.Canceled);
  let call: ReturnType<GrpcClient["makeServerStreamRequest"]>;
  try {
    call = grpc.makeServerStreamRequest(
      path,
      serialize,
      deserialize,
      request,
      toMetadata(callOptions.headers),
      toGrpcCallOptions(callOptions),
    );
  } catch (err) {
    throw ConnectError.from(err);
  }
  const cancel = () => call.cancel();
  callOptions.signal?.addEventListener("abort", cancel, { once: true });
  reportMetadata(call, callOptions);
  let done = false;
  try {
    for await (const message of call) yield message as MessageShape<DescMessage>;
    done = true;
  } catch (err) {
    done = true;
    throw isServiceError(err) ? connectErrorFromGrpc(err) : err;
  } finally {
    callOptions.signal?.removeEventListener("abort", cancel);
    // A consumer that stops iterating early must not leave the stream open.
    if (!done) call.cancel();
  }
}

function reportMetadata(call: ClientUnaryCall | NodeJS.EventEmitter, callOptions: CallOptions): void {
  const { onHeader, onTrailer } = callOptions;
  if (onHeader) call.on("metadata", (metadata: Metadata) => onHeader(metadataToHeaders(metadata)));
  if (onTrailer) call.on("status", (status: { metadata: Metadata }) => onTrailer(metadataToHeaders(status.metadata)));
}

function toGrpcCallOptions(callOptions: CallOptions): GrpcCallOptions {
  return callOptions.timeoutMs === undefined ? {} : { deadline: Date.now() + callOptions.timeoutMs };
}

function toMetadata(headers: CallOptions["headers"]): Metadata {
  const metadata = new Metadata();
  if (headers === undefined) return metadata;
  new Headers(headers).forEach((value, key) => {
    if (key.endsWith("-bin")) metadata.add(key, Buffer.from(value, "base64"));
    else metadata.add(key, value);
  });
  return metadata;
}

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === "number" && "metadata" in err;
}
