import { freePort, type ServiceProcess } from "@roster/dev-stack";
import { startMongoDouble, type MongoDouble } from "@roster/mongo-double";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grpc, plainClient, unary } from "./helpers/plain-grpc.js";
import { stackInfo } from "./helpers/stack-info.js";
import { startExtraUserService } from "./helpers/extra-services.js";

const stack = stackInfo();

// A user-service of its own on a database of its own, so the database can be taken away.
describe("readiness follows the database", () => {
  let double: MongoDouble;
  let service: ServiceProcess;
  let health: ReturnType<typeof plainClient>;
  const status = () =>
    unary<{ status: string }>(health, "check", { service: "" }, new grpc.Metadata(), 2_000).then(
      (r) => r.status,
      () => "NO_ANSWER",
    );

  beforeAll(async () => {
    double = await startMongoDouble({ port: await freePort() });
    service = await startExtraUserService(stack, { MONGODB_URI: double.uri, ROSTER_READINESS_INTERVAL_MS: "200" });
    health = plainClient("grpc/health/v1/health.proto", "grpc.health.v1.Health", service.grpcPort);
  });

  afterAll(async () => {
    health?.close();
    await service?.stop();
    await double?.close();
  });

  it("when an index is dropped then the service recreates it", async () => {
    const client = await MongoClient.connect(double.uri);
    try {
      const users = client.db(stack.env["user-service"].USER_SERVICE_DATABASE).collection("users");
      const names = async () => (await users.listIndexes().toArray()).map((i) => i.name as string);
      expect(await names()).toContain("usernameKey_unique");
      await users.dropIndex("usernameKey_unique");
      await expect.poll(names, { timeout: 10_000 }).toContain("usernameKey_unique");
      expect(await status()).toBe("SERVING");
    } finally {
      await client.close();
    }
  });

  it("when the database goes away then NOT_SERVING, and when it is back (empty) then SERVING with its indexes rebuilt", async () => {
    const port = double.port;
    await double.close();
    await expect.poll(status, { timeout: 15_000, interval: 200 }).toBe("NOT_SERVING");
    const probe = await fetch(`http://127.0.0.1:${service.httpPort}/readyz`);
    expect(probe.status).toBe(503);

    double = await startMongoDouble({ port });
    await expect.poll(status, { timeout: 20_000, interval: 200 }).toBe("SERVING");
  });
});
