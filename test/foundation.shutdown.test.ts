import * as http2 from "node:http2";
import * as net from "node:net";
import type { ServiceProcess } from "@roster/dev-stack";
import { describe, expect, it } from "vitest";
import { bearer, grpc, plainClient, serverStream, timestampNow, unary } from "./helpers/plain-grpc.js";
import { startServiceOnFreePorts } from "./helpers/extra-services.js";
import { stackInfo } from "./helpers/stack-info.js";

const stack = stackInfo();

describe.each(["user-service", "token-service"] as const)("shutdown of %s", (name) => {
  it("when sent SIGTERM then health watchers hear NOT_SERVING, the stream ends and the process exits 0", async () => {
    const service = await startServiceOnFreePorts(name, stack.env[name]);
    const health = plainClient("grpc/health/v1/health.proto", "grpc.health.v1.Health", service.grpcPort);
    const seen: string[] = [];
    let code: number | null;
    try {
      const call = serverStream(health, "watch", { service: "" }) as grpc.ClientReadableStream<{ status: string }>;
      const ended = new Promise<void>((resolve) => {
        call.on("data", (m: { status: string }) => seen.push(m.status));
        call.on("end", resolve);
        call.on("error", () => resolve());
      });
      await expect.poll(() => seen).toEqual(["SERVING"]);
      code = await service.stop("SIGTERM");
      await ended;
    } finally {
      health.close();
      await service.stop("SIGKILL");
    }

    expect(code).toBe(0);
    expect(seen).toEqual(["SERVING", "NOT_SERVING"]);
    expect(service.output.some((line) => line.includes('"msg":"stopped"'))).toBe(true);
  });
});

/** Starts a private copy of `name` on free ports, with `env` on top of the stack's. */
function startPrivate(name: "user-service" | "token-service", env: Record<string, string> = {}) {
  return startServiceOnFreePorts(name, { ...stack.env[name], ...env });
}

/** Sends SIGTERM and resolves with the exit code and how long the process took to exit. */
async function timedStop(service: ServiceProcess): Promise<{ code: number | null; ms: number }> {
  const started = performance.now();
  const code = await service.stop("SIGTERM");
  return { code, ms: performance.now() - started };
}

describe("shutdown with open calls", () => {
  it("when a WatchUserLogs stream is open then SIGTERM ends it at once with UNAVAILABLE and the process exits long before the grace", async () => {
    const service = await startPrivate("user-service", { ROSTER_SHUTDOWN_GRACE_MS: "10000" });
    const users = plainClient("roster/user/v1/user_service.proto", "roster.user.v1.UserService", service.grpcPort);
    try {
      const watch = serverStream(users, "watchUserLogs", { startTime: timestampNow() }, bearer(stack.apiKey));
      const status = new Promise<grpc.StatusObject>((resolve) => watch.on("status", resolve));
      watch.on("error", () => undefined);
      const first = new Promise((resolve) => watch.once("data", resolve));
      // The stream is open once an entry written after its start has arrived.
      await unary(users, "createUser", { username: `shutdown_${Date.now()}` }, bearer(stack.apiKey));
      await first;
      const stopped = await timedStop(service);
      expect((await status).code).toBe(grpc.status.UNAVAILABLE);
      expect(stopped.code).toBe(0);
      expect(stopped.ms).toBeLessThan(5_000);
    } finally {
      users.close();
      await service.stop("SIGKILL");
    }
  });

  it("when a connection to the HTTP port has not sent a byte yet then it does not hold the shutdown", async () => {
    const service = await startPrivate("token-service", { ROSTER_SHUTDOWN_GRACE_MS: "10000" });
    const silent = net.connect(service.httpPort, "127.0.0.1");
    silent.on("error", () => undefined);
    try {
      await new Promise((resolve) => silent.once("connect", resolve));
      const stopped = await timedStop(service);
      expect(stopped.code).toBe(0);
      expect(stopped.ms).toBeLessThan(5_000);
    } finally {
      silent.destroy();
      await service.stop("SIGKILL");
    }
  });

  it.each(["user-service", "token-service"] as const)(
    "when %s has idle connections open on both ports then it exits within ROSTER_SHUTDOWN_GRACE_MS",
    async (name) => {
      const graceMs = 1_000;
      const service = await startPrivate(name, { ROSTER_SHUTDOWN_GRACE_MS: String(graceMs) });
      const health = plainClient("grpc/health/v1/health.proto", "grpc.health.v1.Health", service.grpcPort);
      // A connection that has not sent a byte yet (a load balancer's probe, a client mid-handshake).
      const silent = net.connect(service.grpcPort, "127.0.0.1");
      silent.on("error", () => undefined);
      const session = http2.connect(`http://127.0.0.1:${service.httpPort}`);
      session.on("error", () => undefined);
      try {
        await new Promise((resolve) => silent.once("connect", resolve));
        await new Promise((resolve) => session.once("connect", resolve));
        expect(await unary(health, "check", { service: "" })).toEqual({ status: "SERVING" });
        const stopped = await timedStop(service);
        expect(stopped.code).toBe(0);
        // Closing the database after the grace takes a moment; a process held by a connection takes 15 s and a SIGKILL.
        expect(stopped.ms).toBeLessThan(graceMs + 1_000);
      } finally {
        health.close();
        silent.destroy();
        session.destroy();
        await service.stop("SIGKILL");
      }
    },
  );
});
