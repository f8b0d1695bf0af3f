// The README's Python quickstart: a client generated from proto/ with grpcio-tools,
// run against services of its own, as a Python user would run it.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import type { Stack } from "@roster/dev-stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOwnStack } from "./helpers/own-stack.js";
import { blocks, type ReadmePorts } from "./helpers/readme.js";
import { stackInfo } from "./helpers/stack-info.js";
import { pythonClient, repoRoot } from "./helpers/tools.js";
import { missingLines } from "./helpers/transcript.js";

const run = promisify(execFile);
const quickstart = `${repoRoot}/examples/python/quickstart.py`;

describe("the Python quickstart", () => {
  let python: string;
  let stack: Stack;
  let ports: ReadmePorts;

  beforeAll(async () => {
    // The first run creates the virtual environment from PyPI; later runs reuse it.
    [python, { stack, ports }] = await Promise.all([pythonClient(), startOwnStack(stackInfo())]);
  }, 600_000);
  afterAll(() => stack?.stop());

  it("when it runs then it grants a scope through a role and a PAT, reads the logs with the access token and decodes the error's reason", async () => {
    const { stdout } = await run(python, [quickstart], {
      env: {
        ...process.env,
        ROSTER_KEY: stack.apiKey,
        ROSTER_USER_SERVICE: `127.0.0.1:${ports.user.grpc}`,
        ROSTER_TOKEN_SERVICE: `127.0.0.1:${ports.token.grpc}`,
      },
      timeout: 60_000,
    });
    const printed = Object.fromEntries(stdout.trim().split("\n").map((line) => [line.slice(0, line.indexOf(": ")), line.slice(line.indexOf(": ") + 2)]));
    expect(printed.user).toMatch(/^\S+ grace-[0-9a-f]{6} grace\.[0-9a-f]{6}@example\.com$/);
    expect(printed.role).toMatch(/^log-reader-[0-9a-f]{6} roster:logs:read$/);
    expect(printed.pat).toMatch(/^roster_pat_…[0-9A-Za-z]{4}$/);
    expect(printed["access token scopes"]).toBe("roster:logs:read");
    expect(printed.logs?.split(" ")).toEqual(expect.arrayContaining(["USER_LOG_EVENT_USER_CREATED", "USER_LOG_EVENT_ROLES_ASSIGNED"]));
    expect(printed.error).toBe("PERMISSION_DENIED INSUFFICIENT_SCOPE scope=roster:users:read");
  });

  it("when the README shows the program then every line it shows is the program's, in order", () => {
    const shown = blocks("python");
    expect(shown.length).toBeGreaterThanOrEqual(2);
    const source = readFileSync(quickstart, "utf8");
    for (const excerpt of shown) expect(missingLines(excerpt, source)).toEqual([]);
  });
});
