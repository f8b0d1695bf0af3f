import { Buffer } from "node:buffer";
import http2 from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runLoad } from "../scripts/bench/load.js";

/** A gRPC-shaped server that answers every call with status 0 and counts the bodies it receives. */
let server;
let port;
const received = new Map();

beforeAll(async () => {
  server = http2.createServer();
  server.on("stream", (stream) => {
    const chunks = [];
    stream.on("data", (chunk) => chunks.push(chunk));
    stream.on("end", () => {
      const body = Buffer.concat(chunks).toString();
      received.set(body, (received.get(body) ?? 0) + 1);
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end();
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = server.address().port;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

describe("the benchmark's load generator", () => {
  it("when a row's requests may be sent once and run out before its time is up then each is sent once and the row says so", async () => {
    received.clear();
    const frames = Array.from({ length: 300 }, (_, i) => Buffer.from(`request-${i}`));
    const result = await runLoad({
      port,
      path: "/bench.Test/Once",
      frames,
      tool: "node",
      once: true,
      clients: 2,
      streams: 4,
      warmupMs: 0,
      durationMs: 10_000,
      timeoutMs: 30_000,
    });
    expect(result.ranOut).toBe(true);
    expect(result.failed).toBe(0);
    expect(result.succeeded).toBe(300);
    expect(result.measuredMs).toBeLessThan(10_000);
    expect(received.size).toBe(300);
    expect([...received.values()].every((times) => times === 1)).toBe(true);
  });

  it("when a row has many frames then the CPU it reports leaves out reading them", async () => {
    const oneCall = (count) =>
      runLoad({
        port,
        path: "/bench.Test/Cpu",
        frames: Array.from({ length: count }, (_, i) => Buffer.from(`a create request naming token ${i}`)),
        tool: "node",
        clients: 1,
        streams: 1,
        requests: 1,
        timeoutMs: 60_000,
      });
    const few = await oneCall(1);
    // Reading 500,000 frames costs the generator a third of a second of CPU or more before its first call.
    const many = await oneCall(500_000);
    expect(many.answered).toBe(1);
    expect(many.cpuMicros - few.cpuMicros).toBeLessThan(100_000);
  });

  it("when requests may repeat then they are sent in rotation until the time is up", async () => {
    received.clear();
    const frames = Array.from({ length: 3 }, (_, i) => Buffer.from(`request-${i}`));
    const result = await runLoad({
      port,
      path: "/bench.Test/Rotation",
      frames,
      tool: "node",
      clients: 1,
      streams: 2,
      warmupMs: 0,
      durationMs: 300,
      timeoutMs: 30_000,
    });
    expect(result.ranOut).toBe(false);
    expect(received.size).toBe(3);
    expect([...received.values()].some((times) => times > 1)).toBe(true);
  });
});
