import { Writable } from "node:stream";
import { pino } from "pino";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { createAuthFailures, createLogGate } from "./auth-failures.js";

const origin = { address: "10.0.0.7", method: "roster.user.v1.UserService/GetUser" };

function capture() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: "info" }, sink), lines };
}

describe("createLogGate", () => {
  it("when a key is over its lines in a window then the rest are dropped, and the next admitted one says how many", () => {
    let now = 0;
    const gate = createLogGate(2, 60_000, () => now);
    expect([gate("a"), gate("a"), gate("a"), gate("a"), gate("b")]).toEqual([0, 0, undefined, undefined, 0]);
    now = 60_000;
    expect([gate("a"), gate("a"), gate("a")]).toEqual([2, 0, undefined]);
  });
});

describe("createAuthFailures", () => {
  it("when 1,000 failures are recorded then all are counted and at most the configured lines are logged, without unknown reasons as labels", async () => {
    const registry = new Registry();
    const { logger, lines } = capture();
    const failures = createAuthFailures({ registry, logger, logLinesPerMinute: 3, now: () => 0 });
    for (let i = 0; i < 1000; i++) failures.record({ credential: "api_key", reason: "INVALID_CREDENTIAL", origin });
    failures.record({ credential: "pat", reason: `SOMETHING_${"x".repeat(10)}`, origin, subject: { tokenId: "t1" } });
    await new Promise((resolve) => setImmediate(resolve));
    const metric = await registry.getSingleMetricAsString("roster_auth_failures_total");
    expect(metric).toContain('roster_auth_failures_total{credential="api_key",reason="INVALID_CREDENTIAL"} 1000');
    expect(metric).toContain('roster_auth_failures_total{credential="pat",reason="OTHER"} 1');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatchObject({
      msg: "authentication failed",
      credential: "api_key",
      reason: "INVALID_CREDENTIAL",
      ...origin,
    });
    expect(lines[3]).toMatchObject({ credential: "pat", reason: "OTHER", tokenId: "t1" });
  });
});
