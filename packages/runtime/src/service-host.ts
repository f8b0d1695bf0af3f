import type { DescMethod } from "@bufbuild/protobuf";
import { Code, type ConnectError } from "@connectrpc/connect";
import { Health, ServerReflection, ServerReflectionV1alpha } from "@roster/client";
import { createConnectHandler, type HttpRoute } from "./connect-server.js";
import { createGrpcServer, listenGrpc, type CallGuard } from "./grpc-server.js";
import { createHealthService, type HealthState } from "./health.js";
import { listenHttp } from "./http-server.js";
import type { Logger } from "./logging.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { createReflectionServices } from "./reflection.js";
import { wrapHandlers, type ServiceRegistration } from "./service-registration.js";
import type { TlsSource } from "./tls-config.js";

export interface ServiceHostOptions {
  name: string;
  host: string;
  grpcPort: number;
  httpPort: number;
  /** Both ports serve TLS when it holds a certificate. */
  tls?: TlsSource;
  /** The business services; health and reflection are added here. */
  services: readonly ServiceRegistration[];
  guard: CallGuard;
  health: HealthState;
  logger: Logger;
  httpRoutes?: Readonly<Record<string, HttpRoute>>;
  httpFallback?: HttpRoute;
  maxMessageBytes: number;
  /** The registry /metrics serves; a new one when omitted. */
  metrics?: Metrics;
  /** Origins whose browser scripts may call the HTTP port. */
  corsOrigins?: readonly string[];
}

export interface ServiceHost {
  grpcPort: number;
  httpPort: number;
  /** Drains both servers, waiting at most `graceMs` for in-flight calls. */
  close(graceMs: number): Promise<void>;
}

/** Serves one set of handlers twice: native gRPC on grpc-js, and Connect/gRPC-Web/gRPC on HTTP. */
export async function startServiceHost(options: ServiceHostOptions): Promise<ServiceHost> {
  const { logger, health } = options;
  const methodName = (method: DescMethod) => `${method.parent.typeName}/${method.name}`;
  const onInternalError = (err: unknown, method: DescMethod) =>
    logger.error({ err, method: methodName(method) }, "internal error");
  // A client hanging up is routine; it must not page anyone.
  const onAbandoned = (status: ConnectError, method: DescMethod) =>
    logger.debug({ method: methodName(method), code: Code[status.code] }, status.rawMessage);
  const stopping = new AbortController();
  const metrics = options.metrics ?? createMetrics(options.name);
  const reflection = createReflectionServices([...options.services.map((s) => s.service), Health]);
  const services = [
    ...options.services,
    { service: Health, impl: createHealthService(health) },
    { service: ServerReflection, impl: reflection.v1 },
    { service: ServerReflectionV1alpha, impl: reflection.v1alpha },
  ].map((registration) =>
    wrapHandlers(registration as ServiceRegistration, {
      onInternalError,
      onCallEnd: metrics.onCallEnd,
      onAbandoned,
      stopping: stopping.signal,
    }),
  );

  const grpcServer = createGrpcServer({
    services,
    guard: options.guard,
    onInternalError,
    maxReceiveMessageBytes: options.maxMessageBytes,
  });
  const grpcPort = await listenGrpc(grpcServer, options.host, options.grpcPort, options.tls);

  const probe =
    (ok: () => boolean): HttpRoute =>
    (_req, res) => {
      const serving = ok();
      res.writeHead(serving ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify({ status: serving ? "SERVING" : "NOT_SERVING" }));
    };
  const http = await listenHttp(
    createConnectHandler({
      services,
      guard: options.guard,
      maxReceiveMessageBytes: options.maxMessageBytes,
      corsOrigins: options.corsOrigins,
      httpRoutes: {
        "/healthz": probe(() => true),
        "/readyz": probe(() => health.isServing()),
        "/metrics": metrics.route,
        ...options.httpRoutes,
      },
      httpFallback: options.httpFallback,
    }),
    options.host,
    options.httpPort,
    options.tls,
  );
  logger.info(
    {
      grpcPort,
      httpPort: http.port,
      tls: options.tls?.tls.identity !== undefined,
      clientAuth: options.tls?.tls.clientAuth ?? "none",
    },
    "listening",
  );

  return {
    grpcPort,
    httpPort: http.port,
    async close(graceMs) {
      stopping.abort();
      const drained = new Promise<void>((resolve) => grpcServer.tryShutdown(() => resolve()));
      let timer: NodeJS.Timeout | undefined;
      // grpc-js waits for every connection to close, even one that never sent a request; the grace ends the wait.
      const graceOver = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          grpcServer.forceShutdown();
          resolve();
        }, graceMs);
      });
      await Promise.race([Promise.all([drained, http.close(graceMs)]), graceOver]);
      clearTimeout(timer);
    },
  };
}
