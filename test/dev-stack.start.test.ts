import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { freePort, randomKey } from "@roster/dev-stack";
import { afterEach, describe, expect, it } from "vitest";
import { bearer, plainClient, unary } from "./helpers/plain-grpc.js";
import { stackInfo } from "./helpers/stack-info.js";

const stack = stackInfo();
const startScript = join(dirname(createRequire(import.meta.url).resolve("@roster/dev-stack")), "start.js");

interface Started {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
  /** The services' process ids, from the summary `npm start` prints. */
  pids: Record<"user-service" | "token-service", number>;
  grpcPorts: Record<"user-service" | "token-service", number>;
}

const signingKeySecret = randomKey("roster_sks_");
let dataDir: string | undefined;
let started: Started | undefined;

afterEach(() => {
  // The whole group: the script and, if it failed to stop them, its services.
  const child = started?.child;
  if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null)
    process.kill(-child.pid, "SIGKILL");
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  started = undefined;
});

/** Runs what `npm start` runs after building, in its own process group, as a terminal would. */
async function startDevStack(): Promise<Started> {
  dataDir = mkdtempSync(join(tmpdir(), "roster-start-"));
  const grpcPorts = { "user-service": await freePort(), "token-service": await freePort() };
  const child = spawn(process.execPath, [startScript], {
    cwd: dataDir,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      MONGODB_URI: stack.mongodbUri,
      // Every run shares the one database `npm start` uses; its signing keys open only with one secret.
      ROSTER_SIGNING_KEY_SECRET: signingKeySecret,
      USER_SERVICE_PORT: String(grpcPorts["user-service"]),
      USER_SERVICE_HTTP_PORT: String(await freePort()),
      TOKEN_SERVICE_PORT: String(grpcPorts["token-service"]),
      ROSTER_SHUTDOWN_GRACE_MS: "1000",
      TOKEN_SERVICE_HTTP_PORT: String(await freePort()),
    },
  });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on("line", (line) => lines.push(line));
  createInterface({ input: child.stderr! }).on("line", (line) => lines.push(line));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const summary = (name: string) => lines.find((l) => l.startsWith(`${name} `));
  // Both services start while the rest of the e2e suite loads the machine: allow a minute, and say what
  // the stack printed if they still have not reported.
  const up = () => [summary("user-service"), summary("token-service")].every((line) => line !== undefined);
  await expect
    .poll(up, { timeout: 60_000 })
    .toBe(true)
    .catch((err: unknown) => {
      throw new Error(`npm start did not report both services; it printed:\n${lines.join("\n")}`, { cause: err });
    });
  const pidOf = (name: string) => Number(summary(name)?.match(/pid (\d+)/)?.[1]);
  return (started = {
    child,
    lines,
    exited,
    pids: { "user-service": pidOf("user-service"), "token-service": pidOf("token-service") },
    grpcPorts,
  });
}

function connected(port: number): Promise<Socket> {
  const socket = connect(port, "127.0.0.1");
  socket.on("error", () => undefined);
  return new Promise((resolve) => socket.once("connect", () => resolve(socket)));
}

const said = (lines: string[], service: string, msg: string) =>
  lines.some((line) => line.includes(`"service":"${service}"`) && line.includes(`"msg":"${msg}"`));

describe("npm start", () => {
  it("when Ctrl-C reaches the terminal's process group then both services drain and stop, and it exits 0", async () => {
    const { child, lines, exited, grpcPorts } = await startDevStack();
    // Silent connections make each drain last the whole grace, long enough for any second signal to land.
    const silent = await Promise.all(Object.values(grpcPorts).map((port) => connected(port)));
    process.kill(-child.pid!, "SIGINT");
    expect(await exited).toBe(0);
    expect(lines.filter((l) => l.includes("second signal"))).toEqual([]);
    expect([said(lines, "user-service", "stopped"), said(lines, "token-service", "stopped")]).toEqual([true, true]);
    silent.forEach((socket) => socket.destroy());
  }, 90_000);

  it("when both services are up then it prints a grpcurl and a curl line that run as pasted, with the key, and the console's address", async () => {
    const { lines } = await startDevStack();
    const printed = (tool: string) => lines.find((line) => line.startsWith(`  ${tool} `))?.trim();
    await expect
      .poll(() => [printed("grpcurl"), printed("curl")].every((line) => line !== undefined), { timeout: 10_000 })
      .toBe(true);

    const consoleUrl = lines.find((line) => line.startsWith("console "))?.split(/\s+/)[1] ?? "";
    const page = await fetch(consoleUrl);
    expect(page.headers.get("content-type"), consoleUrl).toBe("text/html; charset=utf-8");

    const { stdout } = await promisify(execFile)("sh", ["-c", printed("curl")!], { timeout: 10_000 });
    const body = JSON.parse(stdout) as Record<string, unknown>;
    expect(body.code, stdout).toBeUndefined();

    // grpcurl itself is not installed here: the same request, read from its flags, through a plain gRPC client.
    const grpcurl = printed("grpcurl")!.match(
      /^grpcurl -plaintext -H 'authorization: Bearer ([^']+)' -d '([^']*)' 127\.0\.0\.1:(\d+) ([\w.]+)\/(\w+)$/,
    );
    expect(grpcurl, printed("grpcurl")).not.toBeNull();
    const [, key, json, port, service, method] = grpcurl!;
    expect(Number(port)).toBe(started?.grpcPorts["user-service"]);
    const client = plainClient("roster/user/v1/user_service.proto", service!, Number(port));
    try {
      expect(await unary(client, method!, JSON.parse(json!) as object, bearer(key))).toHaveProperty("users");
    } finally {
      client.close();
    }
  }, 90_000);

  it("when npm start itself is killed with SIGKILL then its services stop too, not left holding their ports", async () => {
    const { child, exited, pids } = await startDevStack();
    process.kill(child.pid!, "SIGKILL");
    await exited;
    // Signal 0 asks whether the process exists; SIGKILL ends one left running, so it does not outlive the test.
    const signalled = (pid: number, signal: NodeJS.Signals | 0) => {
      try {
        process.kill(pid, signal);
        return true;
      } catch {
        return false;
      }
    };
    const alive = () => Object.values(pids).filter((pid) => signalled(pid, 0));
    await expect
      .poll(alive, { timeout: 15_000 })
      .toEqual([])
      .finally(() => alive().forEach((pid) => signalled(pid, "SIGKILL")));
  }, 90_000);

  it("when a service dies then it says which one and how, stops the other, and exits 1", async () => {
    const { lines, exited, pids } = await startDevStack();
    process.kill(pids["user-service"], "SIGKILL");
    expect(await exited).toBe(1);
    expect(lines.some((l) => l.includes("user-service exited unexpectedly") && l.includes("SIGKILL"))).toBe(true);
    expect(said(lines, "token-service", "stopped")).toBe(true);
  }, 90_000);
});
