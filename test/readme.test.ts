// The README's curl and Node snippets, run as written against the running stack,
// so the README cannot drift from what the services do.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectJson } from "./helpers/connect-json.js";
import { blocks, localise, readme, readmeCurls } from "./helpers/readme.js";
import { stackInfo } from "./helpers/stack-info.js";

const run = promisify(execFile);
const stack = stackInfo();
// The https:// ones need certificates: foundation.tls.test.ts runs them against a stack on TLS.
const curls = readmeCurls.filter((line) => !line.includes("https://"));

const toStack = (text: string) => localise(text, stack);

const env = { ...process.env, ROSTER_KEY: stack.apiKey };

describe("README", () => {
  beforeAll(async () => {
    // The README's examples are about the user "ada" that its grpcurl example creates.
    await connectJson(
      stack.user.http,
      "/roster.user.v1.UserService/CreateUser",
      { username: "ada", primaryEmail: "ada@example.com" },
      stack.apiKey,
    );
  });

  it("when read then it shows the start and test lines and curl examples", () => {
    expect(readme).toContain("npm ci && npm start");
    expect(readme).toContain("npm ci && npm test");
    expect(curls.length).toBeGreaterThanOrEqual(2);
  });

  it.each(curls)("when `%s` runs then it succeeds", async (command) => {
    const { stdout } = await run("sh", ["-c", toStack(command)], { env, timeout: 10_000 });
    const body = JSON.parse(stdout) as Record<string, unknown>;
    expect(body.code).toBeUndefined();
    expect(Object.keys(body).length).toBeGreaterThan(0);
  });

  describe("Node snippet", () => {
    const dir = mkdtempSync(join(fileURLToPath(new URL(".", import.meta.url)), ".readme-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("when run then it finds the user", async () => {
      const [snippet] = blocks("ts");
      const file = join(dir, "snippet.mjs");
      writeFileSync(file, `${toStack(snippet ?? "")}\nconsole.log(JSON.stringify({ username: user?.username }));\n`);
      const { stdout } = await run(process.execPath, [file], { env, timeout: 10_000 });
      expect(JSON.parse(stdout)).toEqual({ username: "ada" });
    });
  });
});
