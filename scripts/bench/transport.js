// The transport comparison on its own (`npm run bench` runs it first, then the RPC benchmark).
// Usage (after `npm run build -w @roster/runtime`):
//   node scripts/bench/transport.js [--requests 20000] [--rounds 3] [--tool h2load|node]
import { parseArgs } from "node:util";
import { benchTransports } from "./transport-bench.js";

const { values: flags } = parseArgs({
  options: {
    requests: { type: "string", default: "20000" },
    rounds: { type: "string", default: "3" },
    tool: { type: "string" },
  },
});

// The whole run is bounded, whatever hangs.
const watchdog = setTimeout(() => {
  console.error("bench: gave up after 10 minutes");
  process.exit(1);
}, 600_000);

try {
  await benchTransports({ requests: Number(flags.requests), rounds: Number(flags.rounds), tool: flags.tool });
} finally {
  clearTimeout(watchdog);
}
