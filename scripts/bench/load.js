// Unary gRPC load against one server: h2load when installed, else a lean Node
// HTTP/2 generator in a child process. Both send pre-encoded requests; only
// the Node generator rotates bodies, runs for a duration and times each call.
import { Buffer } from "node:buffer";
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const nodeLoadScript = fileURLToPath(new URL("./node-load.js", import.meta.url));

/** Prefixes a serialized message with the gRPC length-prefixed framing (uncompressed). */
export function grpcFrame(message) {
  const frame = Buffer.alloc(5 + message.byteLength);
  frame.writeUInt32BE(message.byteLength, 1);
  frame.set(message, 5);
  return frame;
}

export function hasH2load() {
  return spawnSync("h2load", ["--version"], { stdio: "ignore" }).status === 0;
}

/**
 * Sends unary calls to http://127.0.0.1:port{path} over `clients` connections
 * with `streams` concurrent streams each: `requests` calls, or (Node generator
 * only) as many as fit in `durationMs` after `warmupMs`. `frames` (default
 * [frame]) are sent in rotation, or with `once` (Node generator only) each at
 * most once: the calls stop when they run out, and the result says `ranOut`;
 * `headers` are added to every request;
 * `protocol` "connect" sends Connect unary calls (body unframed) instead of gRPC.
 * Resolves { tool, reqPerSec, succeeded, failed } and, from the Node
 * generator, p50/p99 latency in ms and firstFailure { status, message }.
 * Bounded by timeoutMs.
 */
export function runLoad({
  port,
  path,
  frame,
  frames = [frame],
  headers = {},
  protocol = "grpc",
  requests = 20_000,
  warmupMs,
  durationMs,
  clients = 10,
  streams = 10,
  timeoutMs = 120_000,
  tool,
  tolerated = [],
  once = false,
}) {
  const useH2load = tool === undefined ? hasH2load() : tool === "h2load";
  if (
    useH2load &&
    (frames.length !== 1 || durationMs !== undefined || protocol !== "grpc" || tolerated.length > 0 || once)
  ) {
    throw new Error("h2load sends one gRPC request body a fixed number of times; use the Node generator");
  }
  return useH2load
    ? runH2load({ port, path, frame: frames[0], headers, requests, clients, streams, timeoutMs })
    : runNodeLoad({
        port,
        path,
        frames,
        headers,
        protocol,
        requests,
        warmupMs,
        durationMs,
        clients,
        streams,
        timeoutMs,
        tolerated,
        once,
      });
}

async function runH2load({ port, path, frame, headers, requests, clients, streams, timeoutMs }) {
  const dir = mkdtempSync(join(tmpdir(), "bench-"));
  const body = join(dir, "request.bin");
  writeFileSync(body, frame);
  try {
    const extra = Object.entries(headers).flatMap(([name, value]) => ["-H", `${name}: ${value}`]);
    const args = [
      "-n",
      String(requests),
      "-c",
      String(clients),
      "-m",
      String(streams),
      "-d",
      body,
      "-H",
      "content-type: application/grpc",
      "-H",
      "te: trailers",
      ...extra,
      `http://127.0.0.1:${port}${path}`,
    ];
    const stdout = await execBounded("h2load", args, timeoutMs);
    const rate = /finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(stdout);
    const counts = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed/.exec(stdout);
    if (rate === null || counts === null) throw new Error(`unexpected h2load output:\n${stdout}`);
    return { tool: "h2load", reqPerSec: Number(rate[1]), succeeded: Number(counts[1]), failed: Number(counts[2]) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runNodeLoad(options) {
  const { timeoutMs, frames, ...rest } = options;
  const spec = JSON.stringify({ ...rest, frames: frames.map((f) => Buffer.from(f).toString("base64")) });
  const stdout = await execBounded(process.execPath, [nodeLoadScript], timeoutMs, spec);
  return { tool: "node", ...JSON.parse(stdout) };
}

const running = new Set();

function execBounded(file, args, timeoutMs, input) {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        running.delete(child);
        if (err) reject(new Error(`${file} failed: ${err.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
    running.add(child);
    child.stdin.end(input);
  });
}

/** Kills load generators still running, for a run that is being aborted. */
export function stopLoads() {
  for (const child of running) child.kill("SIGKILL");
}

/** One call; resolves the grpc-status it ended with (as a string), to check a target really answers OK. */
export function callOnce({ port, path, frame, timeoutMs = 5_000 }) {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error(`no answer from ${path} on port ${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    session.on("error", reject);
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
    });
    let status;
    stream.on("response", (headers) => (status ??= headers["grpc-status"]));
    stream.on("trailers", (trailers) => (status ??= trailers["grpc-status"]));
    stream.on("data", () => {});
    stream.on("close", () => {
      clearTimeout(timer);
      session.close();
      resolve(status);
    });
    stream.end(frame);
  });
}
