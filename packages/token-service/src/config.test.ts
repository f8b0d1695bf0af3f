import { ConfigError } from "@roster/runtime";
import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";

const secret = "s".repeat(32);

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems.map((p) => p.variable);
  }
}

describe("loadConfig", () => {
  it("when ROSTER_SIGNING_KEY_SECRET is unset then it fails naming the variable", () => {
    expect(problemsOf({})).toEqual(["ROSTER_SIGNING_KEY_SECRET"]);
  });

  it("when the secret is too short and another variable is bad then both are named", () => {
    expect(problemsOf({ ROSTER_SIGNING_KEY_SECRET: "short", ROSTER_MAX_TOKENS_PER_USER: "0" })).toEqual([
      "ROSTER_SIGNING_KEY_SECRET",
      "ROSTER_MAX_TOKENS_PER_USER",
    ]);
  });

  it("when ROSTER_ACCESS_TOKEN_TTL_SECONDS is 5 then access tokens live 5 seconds, and below that it is refused", () => {
    expect(
      loadConfig({ ROSTER_SIGNING_KEY_SECRET: secret, ROSTER_ACCESS_TOKEN_TTL_SECONDS: "5" }).accessTokenTtlSeconds,
    ).toBe(5);
    expect(problemsOf({ ROSTER_SIGNING_KEY_SECRET: secret, ROSTER_ACCESS_TOKEN_TTL_SECONDS: "4" })).toEqual([
      "ROSTER_ACCESS_TOKEN_TTL_SECONDS",
    ]);
  });

  it("when the access feed URLs are unset then user-service's URL is followed; `off` follows none; a bad entry is named", () => {
    const base = { ROSTER_SIGNING_KEY_SECRET: secret, USER_SERVICE_URL: "http://users:50051" };
    expect(loadConfig(base)).toMatchObject({ accessFeedUrls: ["http://users:50051"], accessCopyMaxUsers: 100_000 });
    expect(loadConfig({ ...base, TOKEN_SERVICE_ACCESS_FEED_URLS: "off" }).accessFeedUrls).toEqual([]);
    expect(loadConfig({ ...base, TOKEN_SERVICE_ACCESS_FEED_URLS: "http://a:1, https://b:2" }).accessFeedUrls).toEqual([
      "http://a:1",
      "https://b:2",
    ]);
    expect(problemsOf({ ...base, TOKEN_SERVICE_ACCESS_FEED_URLS: "http://a:1,ftp://b" })).toEqual([
      "TOKEN_SERVICE_ACCESS_FEED_URLS",
    ]);
    expect(problemsOf({ ...base, TOKEN_SERVICE_ACCESS_FEED_URLS: "not a url" })).toEqual([
      "TOKEN_SERVICE_ACCESS_FEED_URLS",
    ]);
    expect(problemsOf({ ...base, TOKEN_SERVICE_ACCESS_COPY_MAX_USERS: "-1" })).toEqual([
      "TOKEN_SERVICE_ACCESS_COPY_MAX_USERS",
    ]);
  });

  it("when only the secret is given then the documented defaults apply", () => {
    const config = loadConfig({ ROSTER_SIGNING_KEY_SECRET: secret });
    expect(config).toMatchObject({
      maxTokensPerUser: 100,
      accessTokenTtlSeconds: 900,
      patPepper: undefined,
      tokenIssuer: "roster",
    });
    expect(config).toMatchObject({
      rateLimits: { perAddress: 60, perTarget: 60 },
      introspectionRateLimitPerAddress: 600,
      authFailureLogLinesPerMinute: 10,
    });
  });

  it("when a rate limit or the failure log rate is negative or not a number then each is named, and 0 is allowed", () => {
    expect(
      problemsOf({
        ROSTER_SIGNING_KEY_SECRET: secret,
        ROSTER_RATE_LIMIT_PER_ADDRESS: "-1",
        ROSTER_RATE_LIMIT_PER_TARGET: "many",
        ROSTER_RATE_LIMIT_INTROSPECTION_PER_ADDRESS: "-5",
        ROSTER_AUTH_FAILURE_LOG_LINES_PER_MINUTE: "1.5",
      }),
    ).toEqual([
      "ROSTER_RATE_LIMIT_PER_ADDRESS",
      "ROSTER_RATE_LIMIT_PER_TARGET",
      "ROSTER_AUTH_FAILURE_LOG_LINES_PER_MINUTE",
      "ROSTER_RATE_LIMIT_INTROSPECTION_PER_ADDRESS",
    ]);
    const off = loadConfig({
      ROSTER_SIGNING_KEY_SECRET: secret,
      ROSTER_RATE_LIMIT_PER_ADDRESS: "0",
      ROSTER_RATE_LIMIT_PER_TARGET: "0",
    });
    expect(off.rateLimits).toEqual({ perAddress: 0, perTarget: 0 });
  });
});
