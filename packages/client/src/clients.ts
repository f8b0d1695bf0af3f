import type { DescService } from "@bufbuild/protobuf";
import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";
import type { ChannelCredentials, ChannelOptions, Interceptor as GrpcJsInterceptor } from "@grpc/grpc-js";
import { createAuthInterceptor } from "./auth-interceptor.js";
import { createTlsFailureInterceptor, grpcJsTlsCredentials, http2TlsOptions, type ClientTls } from "./client-tls.js";
import { onClose } from "./close-client.js";
import type { Credential } from "./credential.js";
import { createGrpcJsClient } from "./grpc-js-client.js";
import { TokenService } from "./gen/roster/token/v1/token_service_pb.js";
import { RoleService } from "./gen/roster/user/v1/role_service_pb.js";
import { UserService } from "./gen/roster/user/v1/user_service_pb.js";

/** Deadline of calls that set none, so a stalled server cannot hang a caller. */
export const defaultTimeoutMs = 10_000;

interface CommonOptions {
  /** Sent as `authorization: Bearer <credential>`; a function is asked before every call. */
  credential?: Credential;
  /** Deadline for calls without their own `timeoutMs`; default 10 s. */
  timeoutMs?: number;
}

/** Native gRPC over @grpc/grpc-js: the fast path to a service's gRPC port. */
export interface GrpcJsClientConfig extends CommonOptions {
  transport: "grpc-js";
  /** `host:port` of the gRPC port, such as `127.0.0.1:50051`. */
  address: string;
  /** TLS to a port that serves it; plaintext when neither this nor `channelCredentials` is given. */
  tls?: ClientTls;
  /** Channel credentials of your own, instead of `tls`. */
  channelCredentials?: ChannelCredentials;
  /** Further grpc-js interceptors, run after the auth and deadline ones. */
  interceptors?: GrpcJsInterceptor[];
  /** grpc-js channel options, such as `grpc.use_local_subchannel_pool` for a connection of the client's own. */
  channelOptions?: ChannelOptions;
}

/** Connect, gRPC or gRPC-Web over @connectrpc/connect-node on HTTP/2: a service's HTTP port. */
export interface ConnectClientConfig extends CommonOptions {
  transport: "connect" | "grpc" | "grpc-web";
  /** Base URL of the HTTP port, such as `http://127.0.0.1:8051`; `https://` for TLS, verified against the system's roots or `tls.ca`. */
  baseUrl: string;
  /** CA and client certificate for an `https://` base URL. */
  tls?: ClientTls;
  /** Further Connect interceptors; the last in the array runs first, the auth interceptor before all. */
  interceptors?: Interceptor[];
}

/** Where and how a client reaches a Roster service. */
export type RosterClientOptions = GrpcJsClientConfig | ConnectClientConfig;

/**
 * Creates a client for any Roster service (or other service descriptor) over
 * the chosen transport. Every transport yields the same `Client<T>` shape and
 * ConnectError failures. Release it with `closeClient`.
 */
export function createRosterClient<T extends DescService>(service: T, options: RosterClientOptions): Client<T> {
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  if (options.transport === "grpc-js") {
    if (options.tls !== undefined && options.channelCredentials !== undefined)
      throw new TypeError("give tls or channelCredentials, not both");
    return createGrpcJsClient(service, options.address, {
      credential: options.credential,
      timeoutMs,
      channelCredentials: options.tls === undefined ? options.channelCredentials : grpcJsTlsCredentials(options.tls),
      interceptors: options.interceptors,
      channelOptions: options.channelOptions,
    });
  }
  const secure = new URL(options.baseUrl).protocol === "https:";
  // TLS settings on a plaintext URL would be a connection that looks secure and is not.
  if (options.tls !== undefined && !secure)
    throw new TypeError(`tls needs an https:// baseUrl, got ${options.baseUrl}`);
  const sessionManager = new Http2SessionManager(
    options.baseUrl,
    undefined,
    secure ? http2TlsOptions(options.tls ?? {}) : undefined,
  );
  const client = createClient(service, connectTransport(options, timeoutMs, sessionManager));
  onClose(client, () => sessionManager.abort());
  return client;
}

function connectTransport(
  options: ConnectClientConfig,
  timeoutMs: number,
  sessionManager: Http2SessionManager,
): Transport {
  // Interceptors run last-to-first, so the auth interceptor at the end sets the header before any other sees the request.
  const interceptors = [createTlsFailureInterceptor(), ...(options.interceptors ?? [])];
  if (options.credential !== undefined) interceptors.push(createAuthInterceptor(options.credential));
  const common = {
    baseUrl: options.baseUrl,
    httpVersion: "2",
    sessionManager,
    interceptors,
    defaultTimeoutMs: timeoutMs,
  } as const;
  switch (options.transport) {
    case "connect":
      return createConnectTransport(common);
    case "grpc":
      return createGrpcTransport(common);
    case "grpc-web":
      return createGrpcWebTransport(common);
  }
}

/** A client of `roster.user.v1.UserService`. */
export function createUserServiceClient(options: RosterClientOptions): Client<typeof UserService> {
  return createRosterClient(UserService, options);
}

/** A client of `roster.user.v1.RoleService`. */
export function createRoleServiceClient(options: RosterClientOptions): Client<typeof RoleService> {
  return createRosterClient(RoleService, options);
}

/** A client of `roster.token.v1.TokenService`. */
export function createTokenServiceClient(options: RosterClientOptions): Client<typeof TokenService> {
  return createRosterClient(TokenService, options);
}
