import { isDomainError } from "@roster/runtime/domain-error";
import { describe, expect, it } from "vitest";
import type { AccessTokens } from "../crypto/access-tokens.js";
import { fakeUserDirectory, silentLogger, testOrigin, unlimitedThrottle } from "../testing.js";
import { generatePatSecret } from "./pat-secret.js";
import type { AuditTrail } from "./audit-trail.js";
import type { PatStore } from "./pat-store.js";
import { createExchangeAndIntrospection } from "./exchange-and-introspection.js";

// Storage and signing that fail the test when touched: these checks must come before any read.
const untouchable = <T extends object>(): T =>
  new Proxy({} as T, {
    get: (_target, name) => () => {
      throw new Error(`${String(name)} must not be called`);
    },
  });

const use = createExchangeAndIntrospection({
  store: untouchable<PatStore>(),
  users: fakeUserDirectory(),
  audit: untouchable<AuditTrail>(),
  accessTokens: untouchable<AccessTokens>(),
  pepper: undefined,
  issuer: "roster",
  logger: silentLogger,
  exchangeThrottle: unlimitedThrottle,
  introspectionThrottle: unlimitedThrottle,
});

async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "OK";
  } catch (err) {
    if (!isDomainError(err)) throw err;
    return `${err.kind}/${err.reason} ${err.fieldViolations.map((v) => v.field).join(",")}`;
  }
}

describe("token use input checks", () => {
  it("when the secret is empty or over 256 characters then exchange is INVALID_ARGUMENT naming the field", async () => {
    expect(await outcome(use.exchange({ secret: "", scopes: [] }, testOrigin))).toBe(
      "invalid-argument/INVALID_ARGUMENT personal_access_token",
    );
    expect(await outcome(use.exchange({ secret: generatePatSecret() + "x".repeat(200), scopes: [] }, testOrigin))).toBe(
      "invalid-argument/INVALID_ARGUMENT personal_access_token",
    );
  });

  it("when the checksum is broken or the length wrong then exchange is TOKEN_MALFORMED without a database read", async () => {
    const secret = generatePatSecret();
    const typo = secret.slice(0, 15) + (secret[15] === "a" ? "b" : "a") + secret.slice(16);
    for (const bad of [typo, secret.slice(0, -1), `${secret}a`, secret.replace("roster_pat_", "roster_pak_")]) {
      expect(await outcome(use.exchange({ secret: bad, scopes: [] }, testOrigin)), bad).toBe(
        "unauthenticated/TOKEN_MALFORMED ",
      );
      // Without our prefix it is taken for an access token and checked as one.
      if (bad.startsWith("roster_pat_"))
        expect(await use.introspect({ token: bad }, testOrigin)).toEqual({ active: false });
    }
  });

  it("when the introspected token is empty or over 8 KiB then it is INVALID_ARGUMENT naming the field", async () => {
    expect(await outcome(use.introspect({ token: "" }, testOrigin))).toBe("invalid-argument/INVALID_ARGUMENT token");
    expect(await outcome(use.introspect({ token: "x".repeat(8 * 1024 + 1) }, testOrigin))).toBe(
      "invalid-argument/INVALID_ARGUMENT token",
    );
  });
});
