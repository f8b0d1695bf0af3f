import { freePort, serviceEntry, startServiceProcess } from "@roster/dev-stack";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stackInfo } from "./helpers/stack-info.js";

const stack = stackInfo();

describe.each(["user-service", "token-service"] as const)("configuration of %s", (name) => {
  it("when variables are invalid then it refuses to start, naming every one of them in one JSON line", async () => {
    const prefix = name === "user-service" ? "USER" : "TOKEN";
    const env = {
      ...stack.env[name],
      [`${prefix}_SERVICE_PORT`]: "http",
      LOG_LEVEL: "loud",
      ROSTER_API_KEYS: "sha256:nothex",
    };
    const failure = await startServiceProcess({ name, entry: serviceEntry(name), env, readyTimeoutMs: 20_000 }).then(
      () => undefined,
      (err: Error) => err.message,
    );
    expect(failure).toMatch(/exited with code 1 before listening/);
    const line = failure?.split("\n").find((l) => l.includes('"level":"fatal"'));
    const record = JSON.parse(line ?? "{}") as { problems?: { variable: string }[] };
    expect(record.problems?.map((p) => p.variable).sort()).toEqual(
      ["LOG_LEVEL", "ROSTER_API_KEYS", `${prefix}_SERVICE_PORT`].sort(),
    );
  });
});

describe("a .env file", () => {
  it("when the working directory has one then its variables apply, and the environment's own values win", async () => {
    const dir = mkdtempSync(join(tmpdir(), "roster-env-"));
    const [grpcPort, httpPort] = [await freePort(), await freePort()];
    writeFileSync(
      join(dir, ".env"),
      `USER_SERVICE_PORT=${grpcPort}\nUSER_SERVICE_HTTP_PORT=${httpPort}\nLOG_LEVEL=loud\n`,
    );
    const { USER_SERVICE_PORT: _p, USER_SERVICE_HTTP_PORT: _h, ...env } = stack.env["user-service"];
    try {
      const refused = await startServiceProcess({
        name: "user-service",
        entry: serviceEntry("user-service"),
        env,
        cwd: dir,
      }).then(
        () => "started",
        (err: Error) => err.message,
      );
      expect(refused).toContain('"variable":"LOG_LEVEL"');
      const service = await startServiceProcess({
        name: "user-service",
        entry: serviceEntry("user-service"),
        env: { ...env, LOG_LEVEL: "info" },
        cwd: dir,
      });
      await service.stop();
      expect([service.grpcPort, service.httpPort]).toEqual([grpcPort, httpPort]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
