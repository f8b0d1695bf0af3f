// `npm run bench`: the transport comparison, then the RPC benchmark on the whole stack.
// Usage (after `npx turbo run build`):
//   node scripts/bench/index.js [--users 10000] [--duration 5] [--only <rpc substring>[,<another>…]] [--skip-transport]
//     [--rounds N]            (every row N times, in turn, reported by its medians: see rpc.js)
//     [--profile-dir <dir>]   (a CPU profile of each service and of the benchmark with the embedded database,
//                              <pid>.cpuprofile; `node scripts/bench/profile-top.js <dir> <row>` prints a row's hottest functions)
import { parseArgs } from "node:util";
import { stopLoads } from "./load.js";
import { benchRpcs } from "./rpc.js";
import { benchTransports } from "./transport-bench.js";

const { values: flags } = parseArgs({
  options: {
    users: { type: "string", default: "10000" },
    duration: { type: "string", default: "5" },
    rounds: { type: "string", default: "1" },
    only: { type: "string" },
    "skip-transport": { type: "boolean", default: false },
    "profile-dir": { type: "string" },
  },
});
const users = Number(flags.users);
const durationMs = Number(flags.duration) * 1000;
const rounds = Number(flags.rounds);
if (!Number.isInteger(users) || users < 1 || !(durationMs > 0) || !Number.isInteger(rounds) || rounds < 1) {
  console.error("bench: --users and --rounds must be positive integers and --duration a positive number of seconds");
  process.exit(2);
}

let stack;
let aborting = false;
/** Stops whatever runs and exits; the stack's services and backend must not outlive the run. */
async function abort(reason, code) {
  if (aborting) return;
  aborting = true;
  console.error(`bench: ${reason}`);
  stopLoads();
  const forceExit = setTimeout(() => process.exit(code), 20_000);
  await stack?.stop().catch(() => {});
  clearTimeout(forceExit);
  process.exit(code);
}

const watchdog = setTimeout(() => void abort("gave up after 15 minutes", 1), 15 * 60_000);
process.once("SIGINT", () => void abort("interrupted", 130));
process.once("SIGTERM", () => void abort("terminated", 143));

try {
  if (!flags["skip-transport"] && flags.only === undefined) {
    console.log("== Transport: a no-op on each server stack ==");
    await benchTransports();
    console.log("");
  }
  console.log("== RPCs on the running services ==");
  await benchRpcs({
    users,
    durationMs,
    rounds,
    only: flags.only,
    profileDir: flags["profile-dir"],
    onStack: (started) => (stack = started),
  });
} catch (error) {
  if (!aborting) {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
} finally {
  clearTimeout(watchdog);
}
