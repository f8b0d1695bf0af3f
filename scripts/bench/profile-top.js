// Prints the hottest functions (self time) of the CPU profiles `npm run bench --profile-dir <dir>` wrote,
// counting only the samples taken while one row ran.
// Usage: node scripts/bench/profile-top.js <dir> <row name substring> [--top 25]
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { positionals, values: flags } = parseArgs({
  allowPositionals: true,
  options: { top: { type: "string", default: "25" } },
});
const [dir, wanted] = positionals;
if (dir === undefined || wanted === undefined) {
  console.error("usage: profile-top.js <profile dir> <row name substring> [--top 25]");
  process.exit(2);
}
const { processes, rows } = JSON.parse(readFileSync(join(dir, "rows.json"), "utf8"));
const row = rows.find((r) => r.name.toLowerCase().includes(wanted.toLowerCase()));
if (row === undefined) {
  console.error(`no row matches ${wanted}; rows: ${rows.map((r) => r.name).join(", ")}`);
  process.exit(2);
}

/** Self time per function over the samples inside [fromUs, toUs] (the monotonic clock both V8 and process.hrtime read). */
function selfTimes(profile, fromUs, toUs) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const times = new Map();
  let at = profile.startTime;
  let total = 0;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i];
    if (at < fromUs || at > toUs) return;
    const delta = profile.timeDeltas[i + 1] ?? 0;
    const { functionName, url, lineNumber } = nodes.get(id).callFrame;
    const name = `${functionName || "(anonymous)"} ${url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*?\/(packages|scripts)\//, "$1/")}:${lineNumber + 1}`;
    times.set(name, (times.get(name) ?? 0) + delta);
    total += delta;
  });
  return { times, total };
}

console.log(`${row.name} (${row.service}), ${((row.toUs - row.fromUs) / 1e6).toFixed(1)} s`);
for (const file of readdirSync(dir)
  .filter((f) => f.endsWith(".cpuprofile"))
  .sort()) {
  const { times, total } = selfTimes(JSON.parse(readFileSync(join(dir, file), "utf8")), row.fromUs, row.toUs);
  const busy = total - (times.get("(idle) :0") ?? 0);
  console.log(
    `\n${processes[file.replace(".cpuprofile", "")] ?? "?"} (${file}): busy ${((100 * busy) / Math.max(total, 1)).toFixed(0)}% of the row`,
  );
  for (const [name, time] of [...times]
    .filter(([name]) => name !== "(idle) :0")
    .sort((a, b) => b[1] - a[1])
    .slice(0, Number(flags.top))) {
    console.log(`${((100 * time) / Math.max(busy, 1)).toFixed(1).padStart(6)}%  ${name}`);
  }
}
