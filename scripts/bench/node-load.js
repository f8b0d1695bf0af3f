// Child process: the Node HTTP/2 load generator. stdin is JSON
// { port, path, frames (base64[]), headers, protocol, clients, streams,
//   requests | (warmupMs, durationMs), tolerated?, once? }; prints a JSON result with the
// request rate, p50/p99 latency and the first failure seen. A call that ends with a
// grpc-status in `tolerated` (a documented refusal such as a time limit) is counted
// as refused and the load goes on; any other failure stops it. With `once`, each
// frame is sent at most once: the calls stop when the frames run out (`ranOut`), and
// a measurement cut short that way covers `measuredMs` only.
// Latencies go into a preallocated Float64Array so recording stays cheap.
import { Buffer } from "node:buffer";
import http2 from "node:http2";
import { performance } from "node:perf_hooks";
import { text } from "node:stream/consumers";

const options = JSON.parse(await text(process.stdin));
const { port, path, clients, streams, protocol = "grpc" } = options;
const frames = options.frames.map((f) => Buffer.from(f, "base64"));
const headers = {
  ":method": "POST",
  ":path": path,
  ...(protocol === "grpc"
    ? { "content-type": "application/grpc", te: "trailers" }
    : { "content-type": "application/proto", "connect-protocol-version": "1" }),
  ...options.headers,
};
const byDuration = options.durationMs !== undefined;
const once = options.once === true;
// Enough room for 200k calls/s; calls beyond it are counted but not timed.
const latencies = new Float64Array(byDuration ? Math.ceil((options.durationMs / 1000) * 200_000) : options.requests);

let started = 0;
let next = 0;
let recording = !byDuration;
let stopped = false;
let timed = 0;
let completed = 0;
/** Successful calls, warm-up included: what the servers' CPU time over the whole run paid for. */
let answered = 0;
let failed = 0;
let refused = 0;
let firstFailure;
const tolerated = new Set(options.tolerated ?? []);

function succeededCall(status, httpStatus) {
  return protocol === "grpc" ? status === "0" : httpStatus === 200;
}

function callLoop(session, done) {
  if (stopped || (!byDuration && started >= options.requests) || (once && started >= frames.length)) return done();
  started++;
  const frame = frames[next];
  next = next + 1 === frames.length ? 0 : next + 1;
  const begin = performance.now();
  const stream = session.request(headers);
  let status;
  let message;
  let httpStatus;
  stream.on("response", (h) => {
    httpStatus = h[":status"];
    status ??= h["grpc-status"];
    message ??= h["grpc-message"];
  });
  stream.on("trailers", (t) => {
    status ??= t["grpc-status"];
    message ??= t["grpc-message"];
  });
  stream.on("data", () => {});
  stream.on("close", () => {
    if (succeededCall(status, httpStatus)) {
      answered++;
      // Counted by when it completes, so slow calls started in the warm-up still count.
      if (recording) {
        if (timed < latencies.length) latencies[timed++] = performance.now() - begin;
        completed++;
      }
    } else if (protocol === "grpc" && tolerated.has(status)) {
      if (recording) refused++;
    } else {
      failed++;
      firstFailure ??= {
        status: status ?? `HTTP ${httpStatus ?? "none"} / ${stream.rstCode ?? ""}`,
        message: decodeMessage(message),
      };
    }
    if (firstFailure !== undefined) stopped = true;
    callLoop(session, done);
  });
  stream.end(frame);
}

function decodeMessage(message) {
  if (message === undefined) return "";
  try {
    return decodeURIComponent(message);
  } catch {
    return message;
  }
}

function percentile(sorted, p) {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

const sessions = await Promise.all(
  Array.from(
    { length: clients },
    () =>
      new Promise((resolve, reject) => {
        const session = http2.connect(`http://127.0.0.1:${port}`, { peerMaxConcurrentStreams: streams });
        session.once("connect", () => resolve(session));
        session.once("error", reject);
      }),
  ),
);
// The CPU the calls cost starts here: reading the frames (a create row's hundred thousand take a
// quarter of a second) and connecting are not the calls'.
const cpuAtStart = process.cpuUsage();
let begin = performance.now();
let end;
const timers = [];
if (byDuration) {
  timers[0] = setTimeout(() => {
    recording = true;
    begin = performance.now();
    timers[1] = setTimeout(() => {
      recording = false;
      end = performance.now();
      stopped = true;
    }, options.durationMs);
  }, options.warmupMs ?? 0);
}
await Promise.all(
  sessions.flatMap((session) => Array.from({ length: streams }, () => new Promise((done) => callLoop(session, done)))),
);
const ranOut = once && started >= frames.length && end === undefined;
end ??= performance.now();
timers.forEach(clearTimeout);
for (const session of sessions) session.close();
const sorted = latencies.subarray(0, timed).sort();
const cpu = process.cpuUsage(cpuAtStart);
process.stdout.write(
  JSON.stringify({
    reqPerSec: (completed / (end - begin)) * 1000,
    ranOut,
    measuredMs: end - begin,
    // The generator's own CPU over its calls (warm-up included), in µs: it shares the cores with what it measures.
    cpuMicros: cpu.user + cpu.system,
    succeeded: completed,
    answered,
    failed,
    refused,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    firstFailure,
  }),
);
