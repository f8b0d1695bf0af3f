import { existsSync } from "node:fs";
import type { Db, MongoClient } from "mongodb";
import { createAuthFailures, type AuthFailures } from "./auth-failures.js";
import type { CommonConfig } from "./common-config.js";
import { ConfigError } from "./env.js";
import type { HttpRoute } from "./connect-server.js";
import type { CallGuard } from "./grpc-server.js";
import { HealthState } from "./health.js";
import { createLogger, type Logger } from "./logging.js";
import { createMetrics } from "./metrics.js";
import { connectMongo, monitorReadiness } from "./mongo.js";
import { startServiceHost, type ServiceHost } from "./service-host.js";
import type { ServiceRegistration } from "./service-registration.js";
import { onShutdownSignal } from "./shutdown.js";
import { TlsReloader } from "./tls-reload.js";

/** What a service contributes; everything else (servers, health, shutdown) is shared. */
export interface ServiceApp {
  services: ServiceRegistration[];
  guard: CallGuard;
  httpRoutes?: Readonly<Record<string, HttpRoute>>;
  /** Serves the HTTP requests no RPC or route claims. */
  httpFallback?: HttpRoute;
  /** True while the service can do its work: database reachable, indexes present. */
  ready(): Promise<boolean>;
  close?(): Promise<void>;
}

/** What a service's `createApp` is given: its configuration and what the runtime opened for it. */
export interface ServiceAppDeps<C extends CommonConfig> {
  config: Readonly<C>;
  client: MongoClient;
  db: Db;
  logger: Logger;
  authFailures: AuthFailures;
}

export interface RunServiceOptions<C extends CommonConfig> {
  name: string;
  /** Reads and validates the configuration (throws ConfigError naming the bad variables). */
  loadConfig(): Readonly<C>;
  createApp(deps: ServiceAppDeps<C>): Promise<ServiceApp>;
}

/**
 * The common life of a Roster service: read its configuration (the
 * environment, then a `.env` file in the working directory), connect to
 * MongoDB, build the app, serve it on both ports, track readiness, and drain
 * on SIGTERM/SIGINT. A failure to start is logged as one JSON line and ends
 * the process with exit code 1.
 */
export async function runService<C extends CommonConfig>(options: RunServiceOptions<C>): Promise<ServiceHost> {
  let logger = createLogger(options.name, "info");
  try {
    // Variables already set in the environment win over the file's.
    if (existsSync(".env")) process.loadEnvFile(".env");
    const config = options.loadConfig();
    logger = createLogger(options.name, config.logLevel);
    return await start(options, config, logger);
  } catch (err) {
    if (err instanceof ConfigError) logger.fatal({ problems: err.problems }, err.message);
    else logger.fatal({ err }, "failed to start");
    process.exit(1);
  }
}

async function start<C extends CommonConfig>(
  options: RunServiceOptions<C>,
  config: Readonly<C>,
  logger: Logger,
): Promise<ServiceHost> {
  process.on("unhandledRejection", (err) => logger.error({ err }, "unhandled rejection"));
  const client = await connectMongo(config.mongodbUri, options.name, { timeoutMs: config.mongodbTimeoutMs });
  const db = client.db(config.database);
  const metrics = createMetrics(options.name);
  const authFailures = createAuthFailures({
    registry: metrics.registry,
    logger,
    logLinesPerMinute: config.authFailureLogLinesPerMinute,
  });
  const app = await options.createApp({ config, client, db, logger, authFailures });
  const serviceNames = app.services.map((s) => s.service.typeName);
  const health = new HealthState(serviceNames);
  const readiness = monitorReadiness({
    check: () => app.ready(),
    health,
    intervalMs: config.readinessIntervalMs,
    logger,
  });
  await readiness.checkNow();
  const tls = new TlsReloader(config.tls, {
    reloaded: () => logger.info("TLS certificate reloaded"),
    refused: (err) => logger.warn({ err }, "TLS files changed but cannot be used; serving the previous certificate"),
  });
  tls.start();
  const host = await startServiceHost({
    name: options.name,
    host: config.host,
    grpcPort: config.grpcPort,
    httpPort: config.httpPort,
    tls,
    services: app.services,
    guard: app.guard,
    health,
    logger,
    httpRoutes: app.httpRoutes,
    httpFallback: app.httpFallback,
    maxMessageBytes: config.maxMessageBytes,
    metrics,
    corsOrigins: config.corsOrigins,
  });
  onShutdownSignal(
    async () => {
      readiness.stop();
      tls.stop();
      health.shutdown();
      await host.close(config.shutdownGraceMs);
      await app.close?.();
      await client.close();
    },
    logger,
    config.shutdownGraceMs,
  );
  return host;
}
