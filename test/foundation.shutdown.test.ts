import { freePort, serviceEntry, startServiceProcess } from "@roster/dev-stack";
import { describe, expect, it } from "vitest";
import type { grpc } from "./helpers/plain-grpc.js";
import { plainClient, serverStream } from "./helpers/plain-grpc.js";
import { stackInfo } from "./helpers/stack-info.js";

const stack = stackInfo();

describe.each(["user-service", "token-service"] as const)("shutdown of %s", (name) => {
  it("when sent SIGTERM then health watchers hear NOT_SERVING, the stream ends and the process exits 0", async () => {
    const [grpcPort, httpPort] = [await freePort(), await freePort()];
    const prefix = name === "user-service" ? "USER" : "TOKEN";
    const service = await startServiceProcess({
      name,
      entry: serviceEntry(name),
      env: { ...stack.env[name], [`${prefix}_SERVICE_PORT`]: String(grpcPort), [`${prefix}_SERVICE_HTTP_PORT`]: String(httpPort) },
    });
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
