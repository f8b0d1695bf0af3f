// The RPC benchmark: starts the whole stack, seeds it, drives each RPC with
// many concurrent native gRPC clients and prints requests/s, p50/p99 latency
// and the ratio to the no-op (Health/Check) of the same service in the same run.
// With several rounds, every row runs once per round, in turn, and the table
// gives each figure's median over the rounds: a row's ratio is the median of
// its ratios to the no-op of its own round, so a slow minute of a shared
// machine weighs on one round rather than on the whole comparison.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startStack } from "@roster/dev-stack";
import { loadConfig } from "@roster/user-service";
import { measureArgon2 } from "./argon2-rate.js";
import { profileThisProcess } from "./cpu-profile.js";
import { runLoad } from "./load.js";
import { rpcCases } from "./rpc-cases.js";
import { summarizeRounds } from "./rounds.js";
import { seed } from "./rpc-seed.js";

const defaultClients = 10;
const defaultStreams = 10;

/**
 * Runs the benchmark and prints its table. `only` keeps the rows whose name
 * contains it, or any of its comma-separated parts (plus the no-ops they are compared with). `onStack` receives the
 * stack as soon as it runs, so a caller can stop it on SIGINT or a watchdog.
 * `profileDir` makes each service, and this process (where the embedded
 * database runs), write a CPU profile there when it stops, with rows.json
 * saying when each row ran (see profile-top.js). A row's requests are `frames`,
 * or `framesFor(round)` for a row whose requests may not repeat across rounds.
 */
export async function benchRpcs({
  users = 10_000,
  durationMs = 5_000,
  warmupMs = 3_000,
  rounds = 1,
  only,
  onStack = () => {},
  profileDir,
}) {
  if (profileDir) {
    mkdirSync(profileDir, { recursive: true });
    profileThisProcess(resolve(profileDir));
  }
  const stack = await startStack({
    purpose: "bench",
    log: (line) => console.log(line),
    env: profileDir && profilerEnv(profileDir),
  });
  onStack(stack);
  try {
    const seeded = await seed(stack, { users });
    const cases = selectCases(rpcCases({ stack, ports: stack.ports, users, seeded, rounds }), only);
    const headers = { authorization: `Bearer ${stack.apiKey}` };
    const results = [];
    const windows = [];
    for (let round = 0; round < rounds; round++) {
      if (rounds > 1) console.error(`round ${round + 1} of ${rounds}`);
      for (const row of cases) results.push(await runRow(row, round));
    }
    const verify = results.find((r) => r.row.path.endsWith("/VerifyPassword"));
    const argon2 = verify && (await rawArgon2(stack, { durationMs, concurrency: verify.concurrency }));
    printTable({ results: summarizeRounds(results, cases), argon2, stack, users, durationMs, warmupMs, rounds });

    async function runRow(row, round) {
      await row.prepare?.();
      // Built before the row's window opens: this process's CPU over the window is the database's.
      const frames = row.framesFor?.(round) ?? row.frames;
      // The database's garbage from earlier rows (and from removing stored tokens) is collected before the
      // window opens, so that a row pays for its own (with --expose-gc, as `npm run bench` starts it).
      globalThis.gc?.();
      const fromUs = monotonicMicros();
      const clients = row.clients ?? defaultClients;
      const streams = row.streams ?? defaultStreams;
      const cpuBefore = cpuMicros(stack);
      const result = await runLoad({
        port: row.port,
        path: row.path,
        frames,
        headers: row.headers ?? headers,
        protocol: row.protocol,
        clients,
        streams,
        warmupMs,
        durationMs,
        timeoutMs: warmupMs + durationMs + 60_000,
        tool: "node",
        tolerated: row.tolerated,
        once: row.once,
      });
      if (result.ranOut && result.succeeded === 0) {
        throw new Error(
          `${row.name}: its ${frames.length} requests were all sent in the warm-up; run with more --users`,
        );
      }
      if (result.failed > 0 || (result.succeeded === 0 && !(result.refused > 0))) {
        const failure = result.firstFailure ?? { status: "none", message: "no call completed" };
        throw new Error(`${row.name} (${row.path}): grpc-status ${failure.status}: ${failure.message}`);
      }
      windows.push({ name: row.name, service: row.service, round, fromUs, toUs: monotonicMicros() });
      if (profileDir) writeProfileWindows(profileDir, stack, windows);
      const refusals = result.refused > 0 ? ` (${result.refused} refused over the time limit)` : "";
      const cut = result.ranOut
        ? ` (its ${frames.length} requests ran out: measured over ${(result.measuredMs / 1000).toFixed(1)} s)`
        : "";
      console.error(`  ${row.service} ${row.name}: ${result.reqPerSec.toFixed(0)} req/s${refusals}${cut}`);
      return {
        row,
        round,
        result,
        concurrency: clients * streams,
        cpuPerCall: cpuPerCall(cpuBefore, cpuMicros(stack), result.answered),
      };
    }
  } finally {
    await stack.stop();
  }
}

function profilerEnv(dir) {
  const preload = fileURLToPath(new URL("./cpu-profile.js", import.meta.url));
  return { NODE_OPTIONS: `--import=${preload}`, ROSTER_BENCH_PROFILE_DIR: resolve(dir) };
}

/** The clock CPU profiles time their samples with (CLOCK_MONOTONIC), in µs. */
const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);

function writeProfileWindows(dir, stack, rows) {
  const processes = {
    [process.pid]: stack.backend.kind === "double" ? "bench and the embedded MongoDB double" : "bench",
  };
  for (const [name, service] of Object.entries(stack.services)) processes[service.child.pid] = name;
  writeFileSync(join(resolve(dir), "rows.json"), JSON.stringify({ processes, rows }, null, 1));
}

function selectCases(cases, only) {
  if (only === undefined) return cases;
  const names = only
    .toLowerCase()
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  const wanted = cases.filter((c) => names.some((name) => c.name.toLowerCase().includes(name)));
  if (wanted.length === 0)
    throw new Error(`no RPC row matches --only ${only}; rows: ${cases.map((c) => c.name).join(", ")}`);
  const services = new Set(wanted.map((c) => c.service));
  return cases.filter((c) => wanted.includes(c) || (c.noop && services.has(c.service)));
}

async function rawArgon2(stack, { durationMs, concurrency }) {
  const params = loadConfig({ ...process.env, ...stack.envOf("user-service") }).argon2;
  return { params, ...(await measureArgon2(params, { durationMs, concurrency })) };
}

/**
 * CPU time (user + system, µs) each process has used so far: the services from /proc (Linux),
 * and this process, where the embedded database runs. CPU per call moves far less than req/s
 * when other processes share the cores (contention still inflates it somewhat).
 */
function cpuMicros(stack) {
  const ticks = 1e6 / 100; // USER_HZ, 100 on every Linux this runs on
  const of = (pid) => {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
      return (Number(fields[11]) + Number(fields[12])) * ticks;
    } catch {
      return NaN;
    }
  };
  const { user, system } = process.cpuUsage();
  return {
    "user-service": of(stack.services["user-service"].child.pid),
    "token-service": of(stack.services["token-service"].child.pid),
    bench: user + system,
  };
}

function cpuPerCall(before, after, calls) {
  return Object.fromEntries(Object.keys(before).map((name) => [name, (after[name] - before[name]) / calls]));
}

/** Resident memory of a process in MiB, from /proc (Linux). */
function rssMiB(pid) {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? (Number(match[1]) / 1024).toFixed(0) : "?";
  } catch {
    return "?";
  }
}

const backendNames = {
  double: "the embedded MongoDB double, in the benchmark's process (set MONGODB_URI to measure a real MongoDB)",
  mongod: "a local mongod (mongodb-memory-server)",
  uri: "MONGODB_URI",
};

function printTable({ results, argon2, stack, users, durationMs, warmupMs, rounds }) {
  const percent = (ratio) => `${(ratio * 100).toFixed(1)}%`;
  const ms = (x) => (x < 10 ? x.toFixed(2) : x.toFixed(1));
  const header = [
    "RPC",
    "service",
    "conc.",
    "req/s",
    "refused",
    "p50 ms",
    "p99 ms",
    "vs no-op",
    ...(rounds > 1 ? ["range"] : []),
    "CPU µs/call: users",
    "tokens",
    stack.backend.kind === "double" ? "db" : "bench",
    "load",
  ];
  const micros = (x) => (Number.isFinite(x) ? x.toFixed(0) : "?");
  const rows = results.map(({ row, result, concurrency, ratio, ratioRange, cpuPerCall, loadPerCall }) => [
    row.name,
    row.service,
    String(concurrency),
    result.reqPerSec.toFixed(0),
    String(Math.round(result.refused)),
    ms(result.p50),
    ms(result.p99),
    percent(ratio),
    ...(rounds > 1 ? [ratioRange.map(percent).join("–")] : []),
    micros(cpuPerCall["user-service"]),
    micros(cpuPerCall["token-service"]),
    micros(cpuPerCall.bench),
    micros(loadPerCall),
  ]);
  if (argon2) {
    rows.push([
      "argon2id verify, raw in-process",
      "(bench)",
      String(results.find((r) => r.row.path.endsWith("/VerifyPassword")).concurrency),
      argon2.reqPerSec.toFixed(0),
      "-",
      ms(argon2.p50),
      ms(argon2.p99),
      ...header.slice(7).map(() => "-"),
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  console.log("");
  console.log(
    `RPC benchmark: ${users.toLocaleString("en-US")} users, MongoDB backend: ${backendNames[stack.backend.kind]}, node ${[process.version, ...process.execArgv].join(" ")}`,
  );
  console.log(
    `Load: Node HTTP/2 generator (h2load can neither rotate request bodies nor report percentiles), ` +
      `native gRPC unless noted, ${warmupMs / 1000} s warm-up + ${durationMs / 1000} s measured per row; conc. = calls in flight; ` +
      `refused = calls refused over SEARCH_TIME_LIMIT_MS (search rows only; not in req/s); CPU µs/call = CPU time each process used over the row (warm-up included) per call answered${stack.backend.kind === "double" ? " (db: the benchmark's process, where the embedded database runs)" : ""}; load: the load generator's own process, which shares the same cores.` +
      (rounds > 1
        ? ` ${rounds} rounds, every row once per round in turn: each figure is the median of the row's rounds, and vs no-op the median of its ratios to the no-op of the same round (range: the lowest and highest).`
        : ""),
  );
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  if (argon2) {
    const verify = results.find((r) => r.row.path.endsWith("/VerifyPassword")).result.reqPerSec;
    const { memoryCost, timeCost, parallelism } = argon2.params;
    console.log(
      `VerifyPassword runs at ${((verify / argon2.reqPerSec) * 100).toFixed(1)}% of the raw argon2id verify rate ` +
        `(m=${memoryCost} KiB, t=${timeCost}, p=${parallelism}).`,
    );
  }
  const memory = Object.entries(stack.services).map(([name, s]) => `${name} ${rssMiB(s.child.pid)} MiB`);
  console.log(`RSS after the run: ${memory.join(", ")}.`);
}
