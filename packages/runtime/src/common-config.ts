import type { ApiKey } from "./api-keys.js";
import { readCorsOrigins } from "./cors.js";
import type { EnvReader } from "./env.js";
import type { LogLevel } from "./logging.js";
import { readTlsConfig, type TlsConfig } from "./tls-config.js";

/** Settings every Roster service shares; each service adds its own. */
export interface CommonConfig {
  /** Address both servers bind to. */
  host: string;
  /** The native gRPC port and the HTTP port (Connect, gRPC-Web, health, JWKS). */
  grpcPort: number;
  httpPort: number;
  logLevel: LogLevel;
  mongodbUri: string;
  database: string;
  /** Bounds server selection and connecting: how long a call waits for an unreachable database before UNAVAILABLE. */
  mongodbTimeoutMs: number;
  apiKeys: ApiKey[];
  serviceKeys: ApiKey[];
  /** The credential this service presents to the other Roster service. */
  outgoingServiceKey: string | undefined;
  /** TLS of both ports and of the calls to the other service. */
  tls: TlsConfig;
  maxMessageBytes: number;
  /** The `iss` and `aud` of the access tokens token-service mints and both services accept. */
  tokenIssuer: string;
  tokenAudience: string;
  shutdownGraceMs: number;
  /** How often readiness (database reachable, indexes present) is re-checked. */
  readinessIntervalMs: number;
  /** Per-minute limits on guessing credentials (PATs, reset codes), per process; 0 disables one. */
  rateLimits: { perAddress: number; perTarget: number };
  /** Log lines per minute for each kind of refused credential and reason; the rest are only counted. */
  authFailureLogLinesPerMinute: number;
  /** Exact origins whose browser scripts may call the HTTP port; none sends no CORS headers. */
  corsOrigins: string[];
}

const logLevels: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** What differs between the services in the shared settings: their variables' prefix and their defaults. */
export interface ServiceDefaults {
  /** `USER_SERVICE` reads `USER_SERVICE_PORT`, `USER_SERVICE_HTTP_PORT`, `USER_SERVICE_DATABASE`. */
  prefix: string;
  database: string;
  grpcPort: number;
  httpPort: number;
}

export function readCommonConfig(env: EnvReader, service: ServiceDefaults): CommonConfig {
  return {
    host: env.string("ROSTER_HOST", "0.0.0.0"),
    grpcPort: env.port(`${service.prefix}_PORT`, service.grpcPort),
    httpPort: env.port(`${service.prefix}_HTTP_PORT`, service.httpPort),
    logLevel: env.oneOf("LOG_LEVEL", logLevels, "info"),
    mongodbUri: env.url("MONGODB_URI", "mongodb://127.0.0.1:27017", ["mongodb:", "mongodb+srv:"]),
    database: env.string(`${service.prefix}_DATABASE`, service.database),
    mongodbTimeoutMs: env.integer("ROSTER_MONGODB_TIMEOUT_MS", 5_000, { min: 100, max: 120_000 }),
    apiKeys: env.apiKeys("ROSTER_API_KEYS"),
    serviceKeys: env.apiKeys("ROSTER_SERVICE_KEYS"),
    outgoingServiceKey: env.optionalString("ROSTER_SERVICE_KEY"),
    tls: readTlsConfig(env),
    tokenIssuer: env.string("ROSTER_TOKEN_ISSUER", "roster"),
    tokenAudience: env.string("ROSTER_TOKEN_AUDIENCE", "roster"),
    maxMessageBytes: env.integer("ROSTER_MAX_MESSAGE_BYTES", 4 * 1024 * 1024, { min: 1024, max: 64 * 1024 * 1024 }),
    shutdownGraceMs: env.integer("ROSTER_SHUTDOWN_GRACE_MS", 10_000, { min: 0, max: 120_000 }),
    readinessIntervalMs: env.integer("ROSTER_READINESS_INTERVAL_MS", 5_000, { min: 100, max: 300_000 }),
    rateLimits: {
      perAddress: env.integer("ROSTER_RATE_LIMIT_PER_ADDRESS", 60, { min: 0, max: 1_000_000 }),
      perTarget: env.integer("ROSTER_RATE_LIMIT_PER_TARGET", 60, { min: 0, max: 1_000_000 }),
    },
    authFailureLogLinesPerMinute: env.integer("ROSTER_AUTH_FAILURE_LOG_LINES_PER_MINUTE", 10, { min: 0, max: 100_000 }),
    corsOrigins: readCorsOrigins(env, "ROSTER_CORS_ORIGINS"),
  };
}
