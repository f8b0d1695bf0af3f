import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { serviceNodeOptions } from "./stack.js";

const rootScripts = (
  JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
    scripts: Record<string, string>;
  }
).scripts;

describe("Node flags of the processes that host the embedded database", () => {
  // The double keeps every document and index entry for the life of its process; with Node's default
  // young generation it spent 10–15% more CPU per stored call at 100,000 users.
  it.each(["start", "bench", "bench:search", "mongo:double"])(
    "when `npm run %s` starts Node then it passes the services' flags",
    (script) => {
      const launches = [...(rootScripts[script] ?? "").matchAll(/(?:^|&& )node ([^&]*)/g)].map((m) => m[1]);
      expect(launches.length).toBeGreaterThan(0);
      for (const args of launches) expect(args).toContain(`${serviceNodeOptions} `);
    },
  );
});
