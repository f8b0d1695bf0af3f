import { Code } from "@connectrpc/connect";
import { ErrorInfoSchema } from "@roster/client";
import { startMongoDouble } from "@roster/mongo-double";
import { describe, expect, it } from "vitest";
import { toConnectError } from "./error-mapping.js";
import { connectMongo } from "./mongo.js";

const unexpected = (err: unknown) => {
  throw new Error(`not expected to be internal: ${String(err)}`);
};

describe("a database outage", () => {
  it("when the database goes away then an operation fails within the timeout and maps to UNAVAILABLE STORAGE_UNAVAILABLE", async () => {
    const double = await startMongoDouble();
    const client = await connectMongo(double.uri, "outage-test", { timeoutMs: 1_000 });
    try {
      const users = client.db("outage").collection("users");
      await users.insertOne({ name: "a" });
      await double.close();
      const started = Date.now();
      const failure = await users.findOne({ name: "a" }).then(
        () => undefined,
        (err: unknown) => err,
      );
      // Bounded by the configured timeout (1 s) plus slack for a noisy machine; the driver's own default is 30 s.
      expect(Date.now() - started).toBeLessThan(10_000);
      const status = toConnectError(failure, unexpected);
      expect(status.code).toBe(Code.Unavailable);
      expect(status.findDetails(ErrorInfoSchema)[0]?.reason).toBe("STORAGE_UNAVAILABLE");
    } finally {
      await client.close();
    }
  }, 30_000);

  it("when a socket error reaches the mapping unwrapped then it is UNAVAILABLE STORAGE_UNAVAILABLE, and other errors stay INTERNAL", () => {
    const epipe = Object.assign(new Error("This socket has been ended by the other party"), { code: "EPIPE" });
    expect(toConnectError(epipe, unexpected).code).toBe(Code.Unavailable);
    let internal: unknown;
    expect(toConnectError(new Error("a bug"), (err) => (internal = err)).code).toBe(Code.Internal);
    expect(internal).toBeInstanceOf(Error);
  });

  it("when the client is closed then a call maps to UNAVAILABLE STORAGE_UNAVAILABLE", async () => {
    const double = await startMongoDouble();
    const client = await connectMongo(double.uri, "outage-test", { timeoutMs: 1_000 });
    await client.close();
    const failure = await client
      .db("outage")
      .collection("users")
      .findOne({})
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    await double.close();
    const status = toConnectError(failure, unexpected);
    expect(status.code).toBe(Code.Unavailable);
    expect(status.findDetails(ErrorInfoSchema)[0]?.reason).toBe("STORAGE_UNAVAILABLE");
  });
});
