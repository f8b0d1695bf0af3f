// What a call costs with an access token instead of an API key: the same RPC,
// alternated between the two credentials in short rounds so that the noise of
// a shared machine falls on both alike, compared by the median of the rounds.
// Usage (after `npx turbo run build`):
//   node scripts/bench/credential-cost.js [--rounds 8] [--seconds 1] [--users 2000]
import { parseArgs } from "node:util";
import { startStack } from "@roster/dev-stack";
import { runLoad } from "./load.js";
import { rpcCases } from "./rpc-cases.js";
import { seed } from "./rpc-seed.js";

const { values: flags } = parseArgs({
  options: {
    rounds: { type: "string", default: "8" },
    seconds: { type: "string", default: "1" },
    users: { type: "string", default: "2000" },
  },
});
const rounds = Number(flags.rounds);
const durationMs = Number(flags.seconds) * 1000;
const users = Number(flags.users);
/** Rows of rpc-cases.js compared pairwise: the API key row, then the access token row. */
const pairs = [
  ["GetUser", "GetUser (access token)"],
  ["GetJwks", "GetJwks (access token)"],
];

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const stack = await startStack({ purpose: "bench", log: (line) => console.log(line) });
try {
  const seeded = await seed(stack, { users });
  const rows = rpcCases({ ports: stack.ports, users, seeded });
  const headers = { authorization: `Bearer ${stack.apiKey}` };
  console.log(
    `${rounds} rounds of ${durationMs / 1000} s per row, 100 calls in flight, ${users} users, backend ${stack.backend.kind}`,
  );
  for (const names of pairs) {
    const [apiKey, accessToken] = names.map((name) => rows.find((row) => row.name === name));
    const rates = { [apiKey.name]: [], [accessToken.name]: [] };
    for (let round = 0; round < rounds; round++) {
      // Alternate which goes first, so neither always runs on a warmer process.
      for (const row of round % 2 === 0 ? [apiKey, accessToken] : [accessToken, apiKey]) {
        const result = await runLoad({
          port: row.port,
          path: row.path,
          frames: row.frames,
          headers: row.headers ?? headers,
          clients: 10,
          streams: 10,
          warmupMs: 300,
          durationMs,
          timeoutMs: durationMs + 60_000,
          tool: "node",
        });
        if (result.failed > 0)
          throw new Error(`${row.name}: grpc-status ${result.firstFailure?.status}: ${result.firstFailure?.message}`);
        rates[row.name].push(result.reqPerSec);
      }
    }
    const [a, b] = [median(rates[apiKey.name]), median(rates[accessToken.name])];
    console.log(
      `${apiKey.name}: API key ${a.toFixed(0)} req/s, access token ${b.toFixed(0)} req/s (medians); access token / API key = ${(b / a).toFixed(2)}`,
    );
  }
} finally {
  await stack.stop();
}
