import { existsSync, statSync } from "node:fs";
import { MongoClient } from "mongodb";
import { describe, expect, it } from "vitest";
import { startMongoDouble } from "./server.js";

describe.skipIf(process.platform === "win32")("the double's Unix domain socket", () => {
  it("when a client writes over the socket then a client on the TCP port reads the same data", async () => {
    const double = await startMongoDouble();
    const overSocket = new MongoClient(double.socketUri!, { serverSelectionTimeoutMS: 5_000 });
    const overTcp = new MongoClient(double.uri, { serverSelectionTimeoutMS: 5_000 });
    try {
      await overSocket.db("d").collection<{ _id: string; n: number }>("c").insertOne({ _id: "a", n: 1 });
      expect(await overTcp.db("d").collection<{ _id: string; n: number }>("c").findOne({ _id: "a" })).toEqual({
        _id: "a",
        n: 1,
      });
    } finally {
      await overSocket.close();
      await overTcp.close();
      await double.close();
    }
  });

  it("when the double runs then only its user may use the socket, and once it closes the socket file is gone", async () => {
    const double = await startMongoDouble();
    const path = decodeURIComponent(double.socketUri!.slice("mongodb://".length).split("/?")[0]!);
    expect(existsSync(path)).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await double.close();
    expect(existsSync(path)).toBe(false);
  });
});
