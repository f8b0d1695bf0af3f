// The README's grpcurl (and curl) transcript, run in order with the real grpcurl
// against services of its own, each output compared with the one the README shows.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { promisify } from "node:util";
import type { Stack } from "@roster/dev-stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOwnStack } from "./helpers/own-stack.js";
import { localise, readmeCommands, readmeTranscript, type ReadmePorts } from "./helpers/readme.js";
import { stackInfo } from "./helpers/stack-info.js";
import { grpcurlDir } from "./helpers/tools.js";
import { compareJson, missingLines, type Bindings } from "./helpers/transcript.js";

const run = promisify(execFile);

interface Printed {
  exitCode: number;
  stdout: string;
  stderr: string;
}

async function shell(command: string, env: Record<string, string>): Promise<Printed> {
  try {
    const { stdout, stderr } = await run("sh", ["-c", command], { env: { ...process.env, ...env }, timeout: 15_000 });
    return { exitCode: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== "number") throw err;
    return { exitCode: failed.code, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

describe("the README's terminal transcript, with the real grpcurl", () => {
  let stack: Stack;
  let ports: ReadmePorts;
  let path: string;
  const bindings: Bindings = {};

  beforeAll(async () => {
    path = `${grpcurlDir()}:${process.env.PATH ?? ""}`;
    ({ stack, ports } = await startOwnStack(stackInfo()));
  });
  afterAll(() => stack?.stop());

  it("when read then every grpcurl line outside the TLS section shows its output", () => {
    const shown = new Set(readmeTranscript.map((step) => step.command));
    const grpcurls = readmeCommands.filter((line) => line.startsWith("grpcurl ") && !line.includes("-cacert"));
    expect(grpcurls.length).toBeGreaterThanOrEqual(15);
    expect(grpcurls.filter((line) => !shown.has(line))).toEqual([]);
  });

  it.each(readmeTranscript.map((step, i) => [i + 1, step.command, step] as const))(
    "when step %i `%s` runs then it prints what the README shows",
    async (_, command, step) => {
      const printed = await shell(localise(command, ports), { PATH: path, ROSTER_KEY: stack.apiKey, ...bindings });
      // An error's status goes to stderr, and grpcurl exits with 64 + its code.
      const output = printed.exitCode === 0 ? printed.stdout : printed.stderr;
      if (step.output.language === "text") {
        expect(printed.exitCode, printed.stderr).toBe(0);
        expect(missingLines(step.output.text, output)).toEqual([]);
        return;
      }
      const expected = JSON.parse(step.output.text) as { code?: number };
      const exitCode = command.startsWith("grpcurl ") && expected.code !== undefined ? 64 + expected.code : 0;
      expect(printed.exitCode, printed.stderr).toBe(exitCode);
      expect(compareJson(expected, JSON.parse(output), bindings)).toEqual([]);
    },
  );

  it("when the log names the API key that acted then its id is the first 12 hex digits of the key's SHA-256", () => {
    expect(bindings.KEY_ID).toBe(createHash("sha256").update(stack.apiKey).digest("hex").slice(0, 12));
  });
});

describe("the transcript comparison", () => {
  it("when a value differs from the README then it names the path", () => {
    expect(compareJson({ user: { username: "ada" } }, { user: { username: "bob" } }, {})).toEqual([
      '$.user.username: expected "ada", got "bob"',
    ]);
  });

  it("when the output has a field the README does not show then it names it", () => {
    expect(compareJson({ a: "…" }, { a: 1, b: 2 }, {})).toEqual(["$.b: not in the README"]);
  });

  it("when a variable is used again then it must hold the value it was bound to", () => {
    const bindings: Bindings = {};
    expect(compareJson({ id: "$USER_ID" }, { id: "u1" }, bindings)).toEqual([]);
    expect(compareJson({ userId: "$USER_ID" }, { userId: "u2" }, bindings)).toEqual([
      '$.userId: expected $USER_ID = "u1", got "u2"',
    ]);
  });

  it("when a text excerpt's lines are out of order then the later one is missing", () => {
    expect(missingLines("b\n…\na", "a\nb\nc")).toEqual(["a"]);
  });
});
