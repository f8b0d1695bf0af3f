import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { freePort } from "@roster/dev-stack";
import { afterEach, describe, expect, it, onTestFailed } from "vitest";
import { newPat, rosterClients, uniqueName, type Ports, type RosterClients } from "./helpers/tokens.js";

const startScript = join(dirname(createRequire(import.meta.url).resolve("@roster/dev-stack")), "start.js");

// What would choose another backend or other keys than a newcomer's `npm start` gets.
const UNSET = [
  "MONGODB_URI",
  "MONGOMS_SYSTEM_BINARY",
  "ROSTER_DOUBLE_DATA_DIR",
  "ROSTER_API_KEYS",
  "ROSTER_SERVICE_KEY",
  "ROSTER_SIGNING_KEY_SECRET",
];

interface Started {
  child: ChildProcess;
  lines: string[];
  exited: Promise<void>;
  key: string;
  ports: Ports;
}

let workDir: string | undefined;
const started: Started[] = [];
const clients: RosterClients[] = [];

afterEach(() => {
  clients.splice(0).forEach((client) => client.close());
  for (const { child } of started.splice(0))
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, "SIGKILL");
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});

/** `npm start` after its build, from `cwd`, in its own process group; offline, so the embedded double is the backend. */
async function startDevStack(cwd: string): Promise<Started> {
  const ports: Ports = {
    user: { grpc: await freePort(), http: await freePort() },
    token: { grpc: await freePort(), http: await freePort() },
  };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // Refused at once, so mongodb-memory-server is skipped as on an offline machine.
    MONGOMS_DOWNLOAD_URL: "https://127.0.0.1:9",
    USER_SERVICE_PORT: String(ports.user.grpc),
    USER_SERVICE_HTTP_PORT: String(ports.user.http),
    TOKEN_SERVICE_PORT: String(ports.token.grpc),
    TOKEN_SERVICE_HTTP_PORT: String(ports.token.http),
  };
  for (const name of UNSET) delete env[name];
  const child = spawn(process.execPath, [startScript], { cwd, detached: true, stdio: ["ignore", "pipe", "pipe"], env });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on("line", (line) => lines.push(line));
  createInterface({ input: child.stderr! }).on("line", (line) => lines.push(line));
  onTestFailed(() => console.error(`npm start in ${cwd} wrote:\n${lines.join("\n")}`));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const keyLine = () => lines.find((line) => line.includes("export ROSTER_KEY="));
  await expect
    .poll(
      () =>
        [keyLine(), ...["user-service ", "token-service "].map((name) => lines.find((l) => l.startsWith(name)))].every(
          Boolean,
        ),
      { timeout: 60_000 },
    )
    .toBe(true);
  const run = { child, lines, exited, key: keyLine()!.split("ROSTER_KEY=")[1]!.trim(), ports };
  started.push(run);
  return run;
}

function connect(run: Started): RosterClients {
  const connected = rosterClients(run.ports, run.key);
  clients.push(connected);
  return connected;
}

describe("npm start on the embedded double", () => {
  it("when the whole stack is killed with SIGKILL and started again then the user, its PAT and the dev key still work", async () => {
    workDir = mkdtempSync(join(tmpdir(), "roster-persist-"));
    const first = await startDevStack(workDir);
    expect(first.lines.find((line) => line.startsWith("MongoDB backend:"))).toContain(`in-process MongoDB double`);
    expect(first.lines.find((line) => line.startsWith("MongoDB backend:"))).toContain(
      `data in ${join(workDir, ".data", "mongo", "double.sqlite")}`,
    );
    const before = connect(first);
    const username = uniqueName("kept-");
    const { user } = await before.users.createUser({ username, primaryEmail: `${username}@example.com` });
    const pat = await newPat(before, user!.id);
    expect((await before.tokens.exchangePersonalAccessToken({ personalAccessToken: pat.secret })).accessToken).not.toBe(
      "",
    );

    process.kill(-first.child.pid!, "SIGKILL");
    await first.exited;

    const second = await startDevStack(workDir);
    expect(second.key).toBe(first.key);
    const after = connect(second);
    const { user: found } = await after.users.getUser({ userId: user!.id });
    expect({ id: found?.id, username: found?.username, primaryEmail: found?.primaryEmail }).toEqual({
      id: user!.id,
      username,
      primaryEmail: `${username}@example.com`,
    });
    const exchanged = await after.tokens.exchangePersonalAccessToken({ personalAccessToken: pat.secret });
    expect(exchanged.accessToken).not.toBe("");
    expect((await after.tokens.introspectToken({ token: exchanged.accessToken })).active).toBe(true);
  }, 180_000);
});
