import { EnvReader, readCommonConfig, type CommonConfig, type Env } from "@roster/runtime";

/** Everything token-service reads from its environment (see the README's configuration table). */
export interface TokenServiceConfig extends CommonConfig {
  userServiceUrl: string;
  /** Encrypts the signing keys' private halves at rest (ROSTER_SIGNING_KEY_SECRET, at least 32 characters). */
  signingKeySecret: string;
  /** HMAC key for PAT hashes; plain SHA-256 when unset. Changing it invalidates every PAT. */
  patPepper: string | undefined;
  accessTokenTtlSeconds: number;
  maxTokensPerUser: number;
  /** Refused PAT introspections per minute from one client address; 0 disables the limit. */
  introspectionRateLimitPerAddress: number;
  /** The longest wait between attempts to deliver an audit entry to user-service. */
  auditRetryMaxMs: number;
  /** The gRPC URL of every user-service instance, whose user-access change feeds keep the copy current; empty: no copy. */
  accessFeedUrls: string[];
  /** How many users' access the copy holds at most. */
  accessCopyMaxUsers: number;
  /** How many PAT records the PAT cache holds at most (trusted as the access copy is); 0: none. */
  patCacheMaxTokens: number;
  /** How long a cached PAT record is used before it is read again, whatever the feeds say. */
  patCacheMaxAgeMs: number;
}

/** A comma-separated list of user-service URLs, `off` for none; each must be http(s). */
function feedUrls(reader: EnvReader, fallback: string): string[] {
  const name = "TOKEN_SERVICE_ACCESS_FEED_URLS";
  const raw = reader.optionalString(name);
  if (raw === "off") return [];
  const urls = (raw ?? fallback)
    .split(",")
    .map((url) => url.trim())
    .filter((url) => url !== "");
  for (const url of urls) {
    let protocol = "";
    try {
      protocol = new URL(url).protocol;
    } catch {
      reader.reject(name, `must be "off" or comma-separated http(s) URLs, got "${url}"`);
      continue;
    }
    if (protocol !== "http:" && protocol !== "https:")
      reader.reject(name, `must use http: or https:, got "${protocol}"`);
  }
  if (urls.length === 0) reader.reject(name, 'must name at least one URL, or be "off"');
  return urls;
}

/** Reads and validates the configuration; throws one ConfigError naming every bad variable. */
export function loadConfig(env: Env): Readonly<TokenServiceConfig> {
  const reader = new EnvReader(env);
  const userServiceUrl = reader.url("USER_SERVICE_URL", "http://127.0.0.1:50051", ["http:", "https:"]);
  return reader.done({
    ...readCommonConfig(reader, {
      prefix: "TOKEN_SERVICE",
      database: "roster_tokens",
      grpcPort: 50_052,
      httpPort: 8_052,
    }),
    userServiceUrl,
    signingKeySecret: reader.secret("ROSTER_SIGNING_KEY_SECRET", 32),
    patPepper: reader.optionalString("ROSTER_PAT_PEPPER"),
    accessTokenTtlSeconds: reader.integer("ROSTER_ACCESS_TOKEN_TTL_SECONDS", 900, { min: 5, max: 86_400 }),
    maxTokensPerUser: reader.integer("ROSTER_MAX_TOKENS_PER_USER", 100, { min: 1, max: 10_000 }),
    introspectionRateLimitPerAddress: reader.integer("ROSTER_RATE_LIMIT_INTROSPECTION_PER_ADDRESS", 600, {
      min: 0,
      max: 1_000_000,
    }),
    auditRetryMaxMs: reader.integer("TOKEN_SERVICE_AUDIT_RETRY_MAX_MS", 60_000, { min: 1_000, max: 3_600_000 }),
    accessFeedUrls: feedUrls(reader, userServiceUrl),
    accessCopyMaxUsers: reader.integer("TOKEN_SERVICE_ACCESS_COPY_MAX_USERS", 100_000, { min: 0, max: 10_000_000 }),
    patCacheMaxTokens: reader.integer("TOKEN_SERVICE_PAT_CACHE_MAX_TOKENS", 100_000, { min: 0, max: 10_000_000 }),
    patCacheMaxAgeMs: reader.integer("TOKEN_SERVICE_PAT_CACHE_MAX_AGE_MS", 60_000, { min: 0, max: 3_600_000 }),
  });
}
