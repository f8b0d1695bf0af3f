import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { createAuthFailures } from "./auth-failures.js";
import { createCredentialThrottle, type CredentialThrottlePolicy } from "./credential-throttle.js";
import { isDomainError } from "./domain-error.js";
import { createLogger } from "./logging.js";

const origin = (address: string) => ({ address, method: "roster.token.v1.TokenService/ExchangePersonalAccessToken" });

function throttle(policy: CredentialThrottlePolicy) {
  const registry = new Registry();
  const failures = createAuthFailures({ registry, logger: createLogger("test", "silent"), logLinesPerMinute: 10 });
  return { throttle: createCredentialThrottle("pat", policy, failures), registry };
}

/** Runs one attempt: "OK", "FAILED" or the refusal's reason. */
async function attempt(
  t: ReturnType<typeof throttle>["throttle"],
  address: string,
  targets: string[],
  fails: boolean,
): Promise<string> {
  try {
    const a = await t.begin(origin(address));
    try {
      await a.charge(...targets);
      if (fails) a.fail("TOKEN_INVALID");
      return fails ? "FAILED" : "OK";
    } finally {
      await a.end();
    }
  } catch (err) {
    if (!isDomainError(err)) throw err;
    expect(err.retryDelayMs).toBeGreaterThan(0);
    expect(err.retryDelayMs).toBeLessThanOrEqual(60_000);
    return `${err.kind}/${err.reason}`;
  }
}

const limited = "resource-exhausted/RATE_LIMITED";

describe("createCredentialThrottle", () => {
  it("when an address fails more than its limit then it is refused, while another address and successes are not counted", async () => {
    const { throttle: t, registry } = throttle({ perAddress: 3, perTarget: 0 });
    for (let i = 0; i < 10; i++) expect(await attempt(t, "10.0.0.1", [], false)).toBe("OK");
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await attempt(t, "10.0.0.1", [], true));
    expect(results).toEqual(["FAILED", "FAILED", "FAILED", limited, limited]);
    expect(await attempt(t, "10.0.0.2", [], true)).toBe("FAILED");
    const metric = await registry.getSingleMetricAsString("roster_auth_failures_total");
    expect(metric).toContain('roster_auth_failures_total{credential="pat",reason="TOKEN_INVALID"} 4');
    expect(metric).toContain('roster_auth_failures_total{credential="pat",reason="RATE_LIMITED"} 2');
  });

  it("when many uses of one good credential are in flight at once then none is refused, far past the limits", async () => {
    const { throttle: t } = throttle({ perAddress: 4, perTarget: 4 });
    const results = await Promise.all(Array.from({ length: 100 }, () => attempt(t, "10.0.0.1", ["pat:a"], false)));
    expect(new Set(results)).toEqual(new Set(["OK"]));
  });

  it("when concurrent failures pass the limit then every later attempt is refused until the window ends", async () => {
    const { throttle: t } = throttle({ perAddress: 4, perTarget: 0 });
    const burst = await Promise.all(Array.from({ length: 20 }, () => attempt(t, "10.0.0.1", [], true)));
    // Attempts in flight when the limit is reached finish; at most the burst passes it.
    expect(burst.filter((r) => r === "FAILED").length).toBeGreaterThanOrEqual(4);
    expect(await attempt(t, "10.0.0.1", [], true)).toBe(limited);
    expect(await attempt(t, "10.0.0.1", [], false)).toBe(limited);
  });

  it("when a target is refused then the address is not charged for it", async () => {
    const { throttle: t } = throttle({ perAddress: 2, perTarget: 1 });
    expect(await attempt(t, "10.0.0.1", ["pat:a"], true)).toBe("FAILED");
    expect(await attempt(t, "10.0.0.1", ["pat:a"], true)).toBe(limited);
    expect(await attempt(t, "10.0.0.1", ["pat:b"], true)).toBe("FAILED");
    expect(await attempt(t, "10.0.0.1", ["pat:c"], true)).toBe(limited);
  });

  it("when a target succeeds then it never uses up its limit; failures do", async () => {
    const { throttle: t } = throttle({ perAddress: 100, perTarget: 2 });
    for (let i = 0; i < 10; i++) expect(await attempt(t, "10.0.0.1", ["pat:a"], false)).toBe("OK");
    expect([await attempt(t, "10.0.0.1", ["pat:a"], true), await attempt(t, "10.0.0.1", ["pat:a"], true)]).toEqual([
      "FAILED",
      "FAILED",
    ]);
    expect(await attempt(t, "10.0.0.1", ["pat:a"], false)).toBe(limited);
  });

  it("when a limit is 0 then nothing is refused", async () => {
    const { throttle: t } = throttle({ perAddress: 0, perTarget: 0 });
    for (let i = 0; i < 50; i++) expect(await attempt(t, "10.0.0.1", ["pat:a"], true)).toBe("FAILED");
  });
});
