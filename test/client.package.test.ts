// @roster/client as its users get it: packed with npm, installed from the
// tarball into a project of its own (dependencies from the registry, none
// from this workspace), and its README's Node snippets run against the stack.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stackInfo } from "./helpers/stack-info.js";
import { newPat, rosterClients, uniqueName, userWithPermissions, type RosterClients } from "./helpers/tokens.js";

const run = promisify(execFile);
const stack = stackInfo();
const clientDir = fileURLToPath(new URL("../packages/client/", import.meta.url));
const readme = readFileSync(join(clientDir, "README.md"), "utf8");
const snippets = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");

let project: string;
let clients: RosterClients;

/** The documented ports, pointed at this run's services. */
function localise(snippet: string): string {
  return snippet
    .replaceAll("127.0.0.1:50051", `127.0.0.1:${stack.user.grpc}`)
    .replaceAll("127.0.0.1:8051", `127.0.0.1:${stack.user.http}`)
    .replaceAll("127.0.0.1:8052", `127.0.0.1:${stack.token.http}`);
}

async function runSnippet(source: string, env: Record<string, string>): Promise<string> {
  const file = join(project, `snippet-${uniqueName("")}.mjs`);
  writeFileSync(file, source);
  const { stdout } = await run(process.execPath, [file], {
    cwd: project,
    env: { ...process.env, ...env },
    timeout: 30_000,
  });
  return stdout.trim();
}

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), "roster-client-consumer-"));
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", project], { cwd: clientDir });
  const [packed] = JSON.parse(stdout) as { filename: string }[];
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  await run("npm", ["install", join(project, packed?.filename ?? ""), "--prefer-offline", "--no-audit", "--no-fund"], {
    cwd: project,
    timeout: 240_000,
  });
  clients = rosterClients(stack, stack.apiKey);
}, 300_000);

afterAll(() => {
  clients?.close();
  if (project !== undefined) rmSync(project, { recursive: true, force: true });
});

describe("@roster/client installed from its tarball", () => {
  it("when installed then it is publishable, needs no workspace package, and ships no tests", () => {
    const installed = join(project, "node_modules/@roster/client");
    const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as {
      private?: boolean;
      license?: string;
      sideEffects?: boolean;
      dependencies: Record<string, string>;
      exports: Record<string, { types: string; default: string }>;
    };
    expect(manifest.private).toBeUndefined();
    expect(manifest.license).toBe("Apache-2.0");
    expect(readFileSync(join(installed, "LICENSE"), "utf8")).toContain("Apache License");
    expect(manifest.sideEffects).toBe(false);
    expect(Object.keys(manifest.dependencies).filter((name) => name.startsWith("@roster/"))).toEqual([]);
    for (const entry of Object.values(manifest.exports)) {
      expect(existsSync(join(installed, entry.types)), entry.types).toBe(true);
      expect(existsSync(join(installed, entry.default)), entry.default).toBe(true);
    }
    expect(existsSync(join(installed, "README.md"))).toBe(true);
    expect(existsSync(join(installed, "src/clients.test.ts"))).toBe(false);
    expect(existsSync(join(installed, "dist/testing.js"))).toBe(false);
    expect(existsSync(join(installed, "src/testing.ts"))).toBe(false);
  });

  it("when the README's client snippet runs then it creates and reads back a user", async () => {
    expect(snippets).toHaveLength(2);
    const username = uniqueName("grace");
    const source = localise(snippets[0] ?? "")
      .replaceAll('"grace"', `"${username}"`)
      .replaceAll("grace@example.com", `${username}@example.com`);
    const printed = await runSnippet(source, { ROSTER_KEY: stack.apiKey });
    const [id, name] = printed.split(" ");
    expect(name).toBe(username);
    const { user } = await clients.users.getUser({ userId: id ?? "" });
    expect(user?.username).toBe(username);
  });

  it("when the README's verifier snippet checks an access token from an exchange then it prints its subject and scopes", async () => {
    const userId = await userWithPermissions(clients, ["roster:users:read", "roster:roles:read"]);
    const pat = await newPat(clients, userId, ["roster:users:read"]);
    const { accessToken } = await clients.tokens.exchangePersonalAccessToken({ personalAccessToken: pat.secret });
    expect(await runSnippet(localise(snippets[1] ?? ""), { ACCESS_TOKEN: accessToken })).toBe(
      `${userId} roster:users:read`,
    );
    const forged = `${accessToken.slice(0, -4)}AAAA`;
    await expect(runSnippet(localise(snippets[1] ?? ""), { ACCESS_TOKEN: forged })).rejects.toThrow(
      /not a valid access token/,
    );
  });
});
