import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The built module: the process under test must exit for real.
const shutdownModule = fileURLToPath(new URL("../dist/shutdown.js", import.meta.url));
const loggingModule = fileURLToPath(new URL("../dist/logging.js", import.meta.url));

/** Starts a process whose stop never finishes, sends SIGTERM once it is ready, and reports how it ended. */
async function stopHangingProcess(graceMs: number): Promise<{ code: number | null; lines: string[] }> {
  const script = `
    const { onShutdownSignal } = await import(${JSON.stringify(shutdownModule)});
    const { createLogger } = await import(${JSON.stringify(loggingModule)});
    onShutdownSignal(() => new Promise(() => {}), createLogger("test", "info"), ${graceMs});
    setInterval(() => {}, 1_000);
    console.log("ready");
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    lines.push(...chunk.split("\n").filter((l) => l !== ""));
    if (lines.includes("ready") && child.signalCode === null && !child.killed) child.kill("SIGTERM");
  });
  const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  const code = await exited;
  clearTimeout(killer);
  return { code, lines };
}

describe("onShutdownSignal", () => {
  it("when stopping hangs past the grace then the process still exits, with code 1 and a log line saying why", async () => {
    const { code, lines } = await stopHangingProcess(200);
    expect(code).toBe(1);
    expect(lines.some((l) => l.includes('"msg":"shutdown did not finish in time, exiting"'))).toBe(true);
  }, 20_000);
});
