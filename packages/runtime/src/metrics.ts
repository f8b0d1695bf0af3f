import type { DescMethod } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { HttpRoute } from "./connect-server.js";

export interface Metrics {
  registry: Registry;
  /** Serves the registry in the Prometheus text format (GET /metrics). */
  route: HttpRoute;
  /** Counts a finished RPC and records its duration. */
  onCallEnd(method: DescMethod, code: number, seconds: number): void;
}

/** A per-service Prometheus registry: process metrics plus RPC counts and latencies. */
export function createMetrics(service: string): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const handled = new Counter({
    name: "roster_rpc_handled_total",
    help: "RPCs completed, by method and status code.",
    labelNames: ["method", "code"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "roster_rpc_duration_seconds",
    help: "Time from handler start to the last response message, by method.",
    labelNames: ["method"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  // Label lookups hash their arguments on every call; the children are cached per method and code.
  const counters = new Map<string, Counter.Internal>();
  const histograms = new Map<string, Histogram.Internal<"method">>();
  return {
    registry,
    route: async (_req, res) => {
      const body = await registry.metrics();
      res.writeHead(200, { "content-type": registry.contentType });
      res.end(body);
    },
    onCallEnd(method, code, seconds) {
      const name = `${method.parent.typeName}/${method.name}`;
      const key = `${name}:${code}`;
      let counter = counters.get(key);
      if (counter === undefined) {
        counter = handled.labels({ method: name, code: Code[code] ?? String(code) });
        counters.set(key, counter);
      }
      counter.inc();
      let histogram = histograms.get(name);
      if (histogram === undefined) {
        histogram = duration.labels({ method: name });
        histograms.set(name, histogram);
      }
      histogram.observe(seconds);
    },
  };
}
