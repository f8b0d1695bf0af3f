import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMongoDouble, type MongoDouble } from "../server.js";
import { applicable, parseUnifiedFile, runUnifiedTest, type UnifiedFile } from "./unified/runner.js";
import { SKIPPED } from "./unified/skipped.js";

// MongoDB's unified specification tests live beside the clone (their license forbids copying them in).
const SPECS = fileURLToPath(new URL("../../../../../shared/mongodb-specs/source", import.meta.url));
const SUITES = [
  "crud/tests/unified",
  "index-management/tests",
  "collection-management/tests",
  "run-command/tests/unified",
];

// Tests of a runner: a correct one fails every test in this folder. These two it lets through,
// as it does not check that an operation's required arguments are present.
const RUNNER_CHECKS = "unified-test-format/tests/valid-fail";
const MALFORMED_ARGUMENTS = new Set(["entity-findCursor-malformed.json", "ignoreResultAndError-malformed.json"]);

function specFiles(suites: string[]): Array<{ name: string; file: UnifiedFile }> {
  return suites.flatMap((suite) =>
    readdirSync(join(SPECS, suite))
      .filter((name) => name.endsWith(".json"))
      .sort()
      .map((name) => ({ name, file: parseUnifiedFile(readFileSync(join(SPECS, suite, name), "utf8")) })),
  );
}

const codeOf = (error: unknown): unknown => {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return cause?.code ?? (error as { code?: unknown }).code;
};

if (!existsSync(SPECS)) {
  const missing = `MongoDB's unified specification tests were not run: the folder ${SPECS} is missing (it sits beside the clone, as ../shared/mongodb-specs)`;
  console.warn(missing);
  describe("MongoDB unified specification tests", () => {
    it.skip(missing, () => {});
  });
} else {
  let double: MongoDouble;
  let internal: MongoClient;
  beforeAll(async () => {
    double = await startMongoDouble();
    internal = await MongoClient.connect(double.uri);
  });
  afterAll(async () => {
    await internal?.close();
    await double?.close();
  });

  describe("the runner itself", () => {
    for (const { name, file } of specFiles([RUNNER_CHECKS]).filter(({ name }) => !MALFORMED_ARGUMENTS.has(name))) {
      for (const test of file.tests.filter((test) => applicable(file, test))) {
        it(`when ${name} › ${test.description} runs then the runner fails it`, async () => {
          await expect(runUnifiedTest(file, test, double.uri, internal)).rejects.toThrow();
        });
      }
    }
  });

  for (const { name, file } of specFiles(SUITES)) {
    const tests = file.tests.filter((test) => applicable(file, test));
    if (tests.length === 0) continue;
    describe(name, () => {
      for (const test of tests) {
        const key = `${name} › ${test.description}`;
        const skip = SKIPPED[key];
        if (skip && skip.refusedWith === undefined) {
          it.skip(`${test.description} (${skip.reason})`, () => {});
          continue;
        }
        if (skip) {
          it(`when ${test.description} then it is refused with code ${skip.refusedWith} (${skip.reason})`, async () => {
            const error = await runUnifiedTest(file, test, double.uri, internal).then(
              () => new Error("passes now: remove it from the skipped list"),
              (failure: unknown) => failure,
            );
            expect(codeOf(error), String(error)).toBe(skip.refusedWith);
          });
          continue;
        }
        it(`when ${test.description} then it passes`, () => runUnifiedTest(file, test, double.uri, internal));
      }
    });
  }
}
