// The README's Python quickstart: a client generated from proto/ with grpcio-tools,
// run against services of its own, as a Python user would run it.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import type { Stack } from "@roster/dev-stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOwnStack } from "./helpers/own-stack.js";
import { blocks, localise, readmeCommands, type ReadmePorts } from "./helpers/readme.js";
import { stackInfo } from "./helpers/stack-info.js";
import { repoRoot, setUpPythonClient } from "./helpers/tools.js";
import { missingLines } from "./helpers/transcript.js";

const run = promisify(execFile);
const quickstart = `${repoRoot}/examples/python/quickstart.py`;

describe("the Python quickstart", () => {
  let stack: Stack;
  let ports: ReadmePorts;

  beforeAll(async () => {
    // The first run creates the virtual environment from PyPI; later runs reuse it.
    [, { stack, ports }] = await Promise.all([setUpPythonClient(), startOwnStack(stackInfo())]);
  }, 600_000);
  afterAll(() => stack?.stop());

  it("when the README's quickstart line runs then it grants a scope through a role and a PAT, reads the logs with the access token and decodes the error's reason", async () => {
    const line = readmeCommands.find((command) => command.includes("examples/python/quickstart.py")) ?? "";
    expect(line).toContain(".tools/python/bin/python");
    const { stdout } = await run("sh", ["-c", localise(line, ports)], {
      cwd: repoRoot,
      env: { ...process.env, ROSTER_KEY: stack.apiKey },
      timeout: 60_000,
    });
    const printed = Object.fromEntries(
      stdout
        .trim()
        .split("\n")
        .map((printedLine) => [
          printedLine.slice(0, printedLine.indexOf(": ")),
          printedLine.slice(printedLine.indexOf(": ") + 2),
        ]),
    );
    expect(printed.user).toMatch(/^\S+ grace-[0-9a-f]{6} grace\.[0-9a-f]{6}@example\.com$/);
    expect(printed.role).toMatch(/^log-reader-[0-9a-f]{6} roster:logs:read$/);
    expect(printed.pat).toMatch(/^roster_pat_…[0-9A-Za-z]{4}$/);
    expect(printed["access token scopes"]).toBe("roster:logs:read");
    expect(printed.logs?.split(" ")).toEqual(
      expect.arrayContaining(["USER_LOG_EVENT_USER_CREATED", "USER_LOG_EVENT_ROLES_ASSIGNED"]),
    );
    expect(printed.error).toBe("PERMISSION_DENIED INSUFFICIENT_SCOPE scope=roster:users:read");
  });

  it("when the README shows the program then every line it shows is the program's, in order", () => {
    const shown = blocks("python");
    expect(shown.length).toBeGreaterThanOrEqual(2);
    const source = readFileSync(quickstart, "utf8");
    for (const excerpt of shown) expect(missingLines(excerpt, source)).toEqual([]);
  });
});
