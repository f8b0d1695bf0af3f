// turbo replays a cached task when its inputs hash the same; a file a task reads
// but that is not among its inputs would let a stale pass come back.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const checkedTasks = ["lint", "typecheck", "test"];

interface DryTask {
  taskId: string;
  task: string;
  directory: string;
  inputs: Record<string, string>;
}

const dryRun = JSON.parse(
  execFileSync(join(root, "node_modules/.bin/turbo"), ["run", ...checkedTasks, "--dry=json"], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  }),
) as { tasks: DryTask[] };
const tracked = execFileSync("git", ["ls-files"], { cwd: root, encoding: "utf8" })
  .split("\n")
  .filter((f) => f !== "");
const rootFiles = tracked.filter((f) => !f.includes("/"));

/** Files of the package's own directory, relative to it. */
const packageFiles = (dir: string) => tracked.filter((f) => f.startsWith(`${dir}/`)).map((f) => relative(dir, f));

/** Repository-root files a package's sources name ("../README.md", "compose.yaml"): its tests read them. */
function rootFilesNamedIn(dir: string): string[] {
  const sources = packageFiles(dir)
    .filter((f) => f.endsWith(".ts"))
    .map((f) => readFileSync(join(root, dir, f), "utf8"))
    .join("\n");
  return rootFiles.filter((name) =>
    new RegExp(
      `["'\`](\\.\\./)+${name.replace(/\./g, "\\.")}["'\`]|repoFile\\("${name.replace(/\./g, "\\.")}"\\)`,
    ).test(sources),
  );
}

const tasks = dryRun.tasks.filter((t) => checkedTasks.includes(t.task) && t.directory !== "");

describe("turbo's cache inputs", () => {
  it("when the task graph is read then every package has its lint, typecheck and test tasks in it", () => {
    expect(
      tasks
        .filter((t) => t.task === "test")
        .map((t) => t.directory)
        .sort(),
    ).toEqual(
      [
        ...new Set(
          tracked
            .filter((f) => /^(packages\/[^/]+|test)\/package\.json$/.test(f))
            .map((f) => f.replace("/package.json", "")),
        ),
      ].sort(),
    );
  });

  it.each(tasks.map((t) => [t.taskId, t] as const))(
    "when %s runs then every file of its package is among its inputs",
    (_, task) => {
      expect(packageFiles(task.directory).filter((f) => !(f in task.inputs))).toEqual([]);
    },
  );

  it.each(tasks.filter((t) => t.task === "test").map((t) => [t.taskId, t] as const))(
    "when %s reads repository files then they are among its inputs",
    (_, task) => {
      const missing = rootFilesNamedIn(task.directory)
        .map((name) => relative(task.directory, name))
        .filter((f) => !(f in task.inputs));
      expect(missing).toEqual([]);
    },
  );
});
