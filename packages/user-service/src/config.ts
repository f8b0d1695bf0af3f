import { EnvReader, readCommonConfig, type CommonConfig, type Env } from "@roster/runtime";

/** argon2id cost parameters (OWASP's minimum is m=19 MiB, t=2, p=1). */
export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** Everything user-service reads from its environment (see the README's configuration table). */
export interface UserServiceConfig extends CommonConfig {
  tokenServiceUrl: string;
  /** Where token-service publishes the keys that verify access tokens. */
  jwksUrl: string;
  argon2: Argon2Params;
  passwordMinLength: number;
  passwordMaxLength: number;
  /** Failed verifications within `lockoutWindowSeconds` that lock a user. */
  lockoutThreshold: number;
  lockoutWindowSeconds: number;
  lockoutDurationSeconds: number;
  resetCodeTtlSeconds: number;
  userLogRetentionDays: number;
  customDataMaxBytes: number;
  customDataMaxDepth: number;
  /** Time limit of one search, its queries together (each runs with what is left as maxTimeMS). */
  searchTimeLimitMs: number;
  /** Budget to decide a REGEX-mode pattern's matching cost; undecided patterns are refused. */
  searchRegexCheckMs: number;
  /** Most matches of a free-text query ranked per search; pages by relevance end after them. */
  searchRankedCandidates: number;
  /** The web console on the HTTP port; undefined when turned off. */
  console?: ConsoleConfig;
  /** How long a change of user access waits for each access-feed subscriber's acknowledgement before cutting it off. */
  accessFeedAckTimeoutMs: number;
  /** How long an acknowledgement lets an access-feed subscriber trust its copy. */
  accessFeedLeaseMs: number;
}

export interface ConsoleConfig {
  /** Where it is served, with a leading and trailing slash. */
  path: string;
  /** token-service's HTTP (Connect) URL, where the console's token calls are forwarded. */
  tokenServiceHttpUrl: string;
}

/** The console's path, normalised to "/x/"; a problem is recorded for anything but plain path segments. */
function readConsolePath(reader: EnvReader): string {
  const raw = reader.string("ROSTER_CONSOLE_PATH", "/console/");
  const path = `/${raw.replace(/^\/+|\/+$/g, "")}/`;
  const segments = path.split("/").slice(1, -1);
  if (segments.length === 0 || segments.some((s) => !/^[A-Za-z0-9._~-]+$/.test(s) || /^\.+$/.test(s))) {
    reader.reject("ROSTER_CONSOLE_PATH", `must be a path such as /console/, got "${raw}"`);
    return "/console/";
  }
  return path;
}

function readConsoleConfig(reader: EnvReader, jwksUrl: string): ConsoleConfig | undefined {
  const enabled = reader.oneOf("ROSTER_CONSOLE", ["on", "off"], "on") === "on";
  const path = readConsolePath(reader);
  // token-service publishes its JWKS on the same HTTP port the console's calls go to.
  const tokenServiceHttpUrl = reader.url("ROSTER_CONSOLE_TOKEN_SERVICE_URL", new URL(jwksUrl).origin, [
    "http:",
    "https:",
  ]);
  return enabled ? { path, tokenServiceHttpUrl } : undefined;
}

export function loadConfig(env: Env): Readonly<UserServiceConfig> {
  const reader = new EnvReader(env);
  const jwksUrl = reader.url("ROSTER_JWKS_URL", "http://127.0.0.1:8052/.well-known/jwks.json", ["http:", "https:"]);
  return reader.done({
    ...readCommonConfig(reader, {
      prefix: "USER_SERVICE",
      database: "roster_users",
      grpcPort: 50_051,
      httpPort: 8_051,
    }),
    tokenServiceUrl: reader.url("TOKEN_SERVICE_URL", "http://127.0.0.1:50052", ["http:", "https:"]),
    jwksUrl,
    argon2: {
      memoryCost: reader.integer("ARGON2_MEMORY_KIB", 19_456, { min: 1_024, max: 1_048_576 }),
      timeCost: reader.integer("ARGON2_TIME_COST", 2, { min: 1, max: 20 }),
      parallelism: reader.integer("ARGON2_PARALLELISM", 1, { min: 1, max: 16 }),
    },
    passwordMinLength: reader.integer("PASSWORD_MIN_LENGTH", 8, { min: 1, max: 128 }),
    passwordMaxLength: reader.integer("PASSWORD_MAX_LENGTH", 128, { min: 8, max: 1_024 }),
    lockoutThreshold: reader.integer("LOCKOUT_THRESHOLD", 5, { min: 1, max: 1_000 }),
    lockoutWindowSeconds: reader.integer("LOCKOUT_WINDOW_SECONDS", 900, { min: 1, max: 86_400 }),
    lockoutDurationSeconds: reader.integer("LOCKOUT_DURATION_SECONDS", 900, { min: 1, max: 604_800 }),
    resetCodeTtlSeconds: reader.integer("RESET_CODE_TTL_SECONDS", 3_600, { min: 60, max: 604_800 }),
    userLogRetentionDays: reader.integer("USER_LOG_RETENTION_DAYS", 90, { min: 1, max: 3_650 }),
    customDataMaxBytes: reader.integer("CUSTOM_DATA_MAX_BYTES", 65_536, { min: 1_024, max: 1_048_576 }),
    customDataMaxDepth: reader.integer("CUSTOM_DATA_MAX_DEPTH", 8, { min: 1, max: 32 }),
    searchTimeLimitMs: reader.integer("SEARCH_TIME_LIMIT_MS", 2_000, { min: 10, max: 60_000 }),
    searchRegexCheckMs: reader.integer("SEARCH_REGEX_CHECK_MS", 1_000, { min: 50, max: 10_000 }),
    searchRankedCandidates: reader.integer("SEARCH_RANKED_CANDIDATES", 100, { min: 1, max: 100_000 }),
    console: readConsoleConfig(reader, jwksUrl),
    accessFeedAckTimeoutMs: reader.integer("USER_SERVICE_ACCESS_FEED_ACK_TIMEOUT_MS", 2_000, { min: 50, max: 60_000 }),
    accessFeedLeaseMs: reader.integer("USER_SERVICE_ACCESS_FEED_LEASE_MS", 5_000, { min: 300, max: 300_000 }),
  });
}
