import { serviceEntry, startServiceProcess } from "@roster/dev-stack";
import { describe, expect, it } from "vitest";
import { stackInfo } from "./helpers/stack-info.js";

const stack = stackInfo();

describe.each(["user-service", "token-service"] as const)("configuration of %s", (name) => {
  it("when variables are invalid then it refuses to start, naming every one of them in one JSON line", async () => {
    const prefix = name === "user-service" ? "USER" : "TOKEN";
    const env = { ...stack.env[name], [`${prefix}_SERVICE_PORT`]: "http", LOG_LEVEL: "loud", ROSTER_API_KEYS: "sha256:nothex" };
    const failure = await startServiceProcess({ name, entry: serviceEntry(name), env, readyTimeoutMs: 20_000 }).then(
      () => undefined,
      (err: Error) => err.message,
    );
    expect(failure).toMatch(/exited with code 1 before listening/);
    const line = failure?.split("\n").find((l) => l.includes('"level":"fatal"'));
    const record = JSON.parse(line ?? "{}") as { problems?: { variable: string }[] };
    expect(record.problems?.map((p) => p.variable).sort()).toEqual(["LOG_LEVEL", "ROSTER_API_KEYS", `${prefix}_SERVICE_PORT`].sort());
  });
});
