import { describe, expect, it } from "vitest";
import { connectJson } from "./helpers/connect-json.js";
import { codeOf, grpc, plainClient, serverStream, unary } from "./helpers/plain-grpc.js";
import { stackInfo } from "./helpers/stack-info.js";

const stack = stackInfo();
const targets = [
  { name: "user-service", ports: stack.user, services: ["roster.user.v1.UserService", "roster.user.v1.RoleService"] },
  { name: "token-service", ports: stack.token, services: ["roster.token.v1.TokenService"] },
];

describe.each(targets)("health of $name", ({ ports, services }) => {
  const health = plainClient("grpc/health/v1/health.proto", "grpc.health.v1.Health", ports.grpc);
  // The HTTP port speaks gRPC too (connect-node); a plain gRPC client must get the same answers there.
  const healthOverHttpPort = plainClient("grpc/health/v1/health.proto", "grpc.health.v1.Health", ports.http);

  it.each([
    ["the native gRPC port", health],
    ["the HTTP port", healthOverHttpPort],
  ])("when asked over %s without a credential then the server and each service are SERVING", async (_port, client) => {
    for (const service of ["", ...services]) {
      await expect(unary(client, "check", { service })).resolves.toEqual({ status: "SERVING" });
    }
  });

  it("when asked about an unknown service then it answers NOT_FOUND", async () => {
    expect(await codeOf(() => unary(health, "check", { service: "no.such.Service" }))).toBe(grpc.status.NOT_FOUND);
  });

  it("when watched then the current status arrives first", async () => {
    const call = serverStream(health, "watch", { service: "" }) as grpc.ClientReadableStream<{ status: string }>;
    const first = await new Promise((resolve, reject) => {
      call.once("data", resolve);
      call.once("error", reject);
    });
    call.cancel();
    expect(first).toEqual({ status: "SERVING" });
  });

  it("when asked with Connect JSON on the HTTP port (what curl sends) then it is SERVING", async () => {
    const reply = await connectJson(ports.http, "/grpc.health.v1.Health/Check", {});
    expect(reply).toEqual({ status: 200, body: { status: "SERVING" } });
  });

  it("when the plain-HTTP probes are asked then they answer 200", async () => {
    for (const path of ["/healthz", "/readyz"]) {
      const response = await fetch(`http://127.0.0.1:${ports.http}${path}`);
      expect(response.status).toBe(200);
    }
    const metrics = await fetch(`http://127.0.0.1:${ports.http}/metrics`);
    expect(await metrics.text()).toContain("process_cpu_seconds_total");
  });
});
