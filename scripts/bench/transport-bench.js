// Measures what each transport costs per unary call: plain grpc-js, the
// protobuf-es adapter on grpc-js, and connect-node, all serving a no-op, in
// one run. Each server runs in its own process; the load generator in another.
import { fileURLToPath } from "node:url";
import { callOnce, grpcFrame, runLoad } from "./load.js";
import { noopPath, noopRequest } from "./noop-service.js";
import { startServerProcess } from "./server-process.js";

const targets = ["grpc-js", "adapter", "connect"];
const serverScript = fileURLToPath(new URL("./noop-server.js", import.meta.url));

/**
 * Runs `rounds` rounds of `requests` no-op calls against each transport and
 * prints the comparison table. `tool` forces "h2load" or "node".
 */
export async function benchTransports({ requests = 20_000, rounds = 3, tool } = {}) {
  const frame = grpcFrame(noopRequest);
  const load = { path: noopPath, frame, requests, clients: 10, streams: 10, tool };
  const servers = new Map();
  try {
    for (const target of targets) {
      const server = await startServerProcess(serverScript, [target]);
      servers.set(target, server);
      const status = await callOnce({ port: server.port, path: noopPath, frame });
      if (status !== "0") throw new Error(`${target} answered grpc-status ${status}, not 0`);
    }
    for (const target of targets) {
      await runLoad({ ...load, port: servers.get(target).port, requests: Math.min(requests, 10_000) });
    }
    const results = new Map(targets.map((t) => [t, []]));
    let usedTool;
    for (let round = 0; round < rounds; round++) {
      // Rotate the order so no target always runs first or last.
      for (let i = 0; i < targets.length; i++) {
        const target = targets[(i + round) % targets.length];
        const server = servers.get(target);
        const cpuBefore = await server.cpuMicros();
        const result = await runLoad({ ...load, port: server.port });
        const cpuPerCall = ((await server.cpuMicros()) - cpuBefore) / requests;
        if (result.failed > 0) throw new Error(`${target}: ${result.failed} of ${requests} calls failed`);
        usedTool = result.tool;
        results.get(target).push({ reqPerSec: result.reqPerSec, cpuPerCall });
      }
    }
    printTable(results, { requests, rounds, tool: usedTool });
  } finally {
    await Promise.all([...servers.values()].map((s) => s.stop()));
  }
}

function printTable(results, { requests, rounds, tool }) {
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const rate = (target) => median(results.get(target).map((r) => r.reqPerSec));
  const cpu = (target) => median(results.get(target).map((r) => r.cpuPerCall));
  console.log(
    `${requests} no-op unary calls per round, 10 clients x 10 streams, load by ${tool}, node ${process.version}`,
  );
  const header = [
    "target",
    ...Array.from({ length: rounds }, (_, i) => `round ${i + 1} req/s`),
    "median",
    "vs grpc-js",
    "server CPU µs/call",
    "vs grpc-js",
  ];
  const rows = [...results.keys()].map((target) => [
    target,
    ...results.get(target).map((r) => r.reqPerSec.toFixed(0)),
    rate(target).toFixed(0),
    `${((rate(target) / rate("grpc-js")) * 100).toFixed(1)}%`,
    cpu(target).toFixed(1),
    `${((cpu("grpc-js") / cpu(target)) * 100).toFixed(1)}%`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const row of [header, ...rows]) console.log(row.map((c, i) => c.padStart(widths[i])).join("  "));
}
