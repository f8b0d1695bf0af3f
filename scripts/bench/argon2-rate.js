// The raw argon2id verification rate in this process, with the parameters
// user-service uses: the ceiling VerifyPassword is compared with.
import { performance } from "node:perf_hooks";
import argon2 from "argon2";

/** Verifies one hash `concurrency` at a time for `durationMs`; resolves { reqPerSec, p50, p99 }. */
export async function measureArgon2({ memoryCost, timeCost, parallelism }, { durationMs, concurrency }) {
  const password = "Bench-passphrase-raw-argon2";
  const hash = await argon2.hash(password, { type: argon2.argon2id, memoryCost, timeCost, parallelism });
  const latencies = [];
  const begin = performance.now();
  const until = begin + durationMs;
  const worker = async () => {
    while (performance.now() < until) {
      const start = performance.now();
      if (!(await argon2.verify(hash, password))) throw new Error("argon2 did not verify its own hash");
      latencies.push(performance.now() - start);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - begin) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (p) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))];
  return { reqPerSec: latencies.length / seconds, p50: at(0.5), p99: at(0.99) };
}
