/**
 * Worst-case matching cost of a user's regular expression, as decided by
 * recheck (a ReDoS checker built on automata theory). recheck's pure
 * JavaScript backend runs in one worker thread of its own, so a slow analysis
 * never holds up the event loop, and every analysis has a budget: a pattern
 * not decided in time is reported as unknown, which callers refuse.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** Steps to match a value of length n: linear, polynomial n^degree, exponential, or undecided. */
export type RegexCost =
  | { kind: "linear" }
  | { kind: "polynomial"; degree: number }
  | { kind: "exponential" }
  | { kind: "unknown"; why: "timeout" | "unsupported" | "failed" };

export interface RegexCostChecker {
  /** The pattern's cost under `flags` (as JavaScript and PCRE read them: `i`, `s`). */
  costOf(pattern: string, flags: string): Promise<RegexCost>;
  close(): Promise<void>;
}

interface WorkerReply {
  id: number;
  status: "safe" | "vulnerable" | "unknown";
  complexity?: { type: string; degree?: number };
  error?: string;
}

// The worker is a CommonJS script given as text, so it runs the same from src/ (tests) and dist/.
// Its own environment pins recheck to the pure JavaScript backend: no native binary, no JVM, no nested worker.
const workerSource = `
const { parentPort, workerData } = require("node:worker_threads");
const { checkSync } = require(workerData.recheck);
parentPort.on("message", ({ id, source, flags, deadline }) => {
  const left = deadline - Date.now();
  if (left <= 0) return parentPort.postMessage({ id, status: "unknown", error: "timeout" });
  try {
    const r = checkSync(source, flags, { timeout: left });
    parentPort.postMessage({ id, status: r.status, complexity: r.complexity, error: r.error && r.error.kind });
  } catch (error) {
    parentPort.postMessage({ id, status: "unknown", error: "unexpected" });
  }
});`;

function costOfReply(reply: WorkerReply): RegexCost {
  if (reply.status === "unknown" || reply.complexity === undefined) {
    return {
      kind: "unknown",
      why: reply.error === "timeout" ? "timeout" : reply.error === "unsupported" ? "unsupported" : "failed",
    };
  }
  const { type, degree } = reply.complexity;
  if (type === "safe" || type === "constant" || type === "linear") return { kind: "linear" };
  if (type === "polynomial" && typeof degree === "number") return { kind: "polynomial", degree };
  return { kind: "exponential" };
}

/**
 * A checker with a budget per pattern, counted from the call (time queued
 * behind other patterns included), and a cache of decided verdicts. The
 * worker starts at once, so its start-up is not charged to the first caller.
 */
export function createRegexCostChecker(options: { budgetMs: number; cacheSize?: number }): RegexCostChecker {
  const recheck = createRequire(import.meta.url).resolve("recheck");
  const cacheSize = options.cacheSize ?? 1_000;
  const cache = new Map<string, RegexCost>();
  const pending = new Map<number, (cost: RegexCost) => void>();
  let worker: Worker | undefined;
  let nextId = 0;

  const settleAll = (cost: RegexCost): void => {
    for (const resolve of pending.values()) resolve(cost);
    pending.clear();
  };
  const start = (): Worker => {
    const w = new Worker(workerSource, { eval: true, workerData: { recheck }, env: { RECHECK_SYNC_BACKEND: "pure" } });
    w.on("message", (reply: WorkerReply) => {
      pending.get(reply.id)?.(costOfReply(reply));
      pending.delete(reply.id);
      if (pending.size === 0) w.unref();
    });
    // A crashed analysis decides nothing; the next call starts a fresh worker.
    w.on("error", () => undefined);
    w.on("exit", () => {
      if (worker === w) worker = undefined;
      settleAll({ kind: "unknown", why: "failed" });
    });
    w.unref();
    // Loading recheck and warming its JIT takes about a second; pay that now, not out of a caller's budget.
    w.postMessage({ id: -1, source: "a+b", flags: "i", deadline: Date.now() + 60_000 });
    return w;
  };
  worker = start();

  return {
    async costOf(pattern, flags) {
      const key = `${flags}/${pattern}`;
      const known = cache.get(key);
      if (known !== undefined) return known;
      worker ??= start();
      const w = worker;
      const id = nextId++;
      const cost = await new Promise<RegexCost>((resolve) => {
        pending.set(id, resolve);
        w.ref();
        w.postMessage({ id, source: pattern, flags, deadline: Date.now() + options.budgetMs });
      });
      if (cost.kind !== "unknown") {
        if (cache.size >= cacheSize) cache.delete(cache.keys().next().value as string);
        cache.set(key, cost);
      }
      return cost;
    },
    async close() {
      const w = worker;
      worker = undefined;
      await w?.terminate();
    },
  };
}
