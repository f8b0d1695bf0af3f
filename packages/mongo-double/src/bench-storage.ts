// Compares the double in memory with the double keeping its data on disk, at 10,000 and 100,000
// users: insert throughput (batches of 1,000, and one document per command as services write),
// the time to reopen 100,000 users, and indexed reads through the driver. Each read matches as
// many documents at both sizes. Medians of 31 runs, modes and sizes interleaved within each run.
// `npm run bench:storage -w @roster/mongo-double`
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MongoClient, type Collection } from "mongodb";
import { startMongoDouble, type MongoDouble } from "./server.js";

const SIZES = [10_000, 100_000];
const RUNS = 31;
const SINGLE_INSERTS = 500;
const MODES = ["memory", "persistent"] as const;
type Mode = (typeof MODES)[number];

interface Target {
  mode: Mode;
  size: number;
  dataDir: string | undefined;
  double: MongoDouble;
  client: MongoClient;
  users: Collection;
}

const pad = (n: number): string => String(n).padStart(7, "0");
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function open(mode: Mode, size: number, dataDir: string | undefined): Promise<Target> {
  const double = await startMongoDouble(dataDir === undefined ? {} : { dataDir });
  const client = new MongoClient(double.uri);
  return { mode, size, dataDir, double, client, users: client.db("bench_storage").collection("users") };
}

async function close(target: Target): Promise<void> {
  await target.client.close();
  await target.double.close();
}

/** Seeds the users; returns documents per second. */
async function seed(target: Target): Promise<number> {
  const { users, size } = target;
  await users.createIndexes([
    { key: { username: 1 }, name: "username", unique: true },
    { key: { createTime: 1 }, name: "create_time" },
    { key: { tenant: 1 }, name: "tenant" },
  ]);
  const started = performance.now();
  for (let offset = 0; offset < size; offset += 1_000) {
    await users.insertMany(
      Array.from({ length: 1_000 }, (_, i) => {
        const n = offset + i;
        // A hundred users per tenant, whatever the size.
        return {
          username: `user-${pad(n)}`,
          email: `user-${pad(n)}@example.com`,
          tenant: n % (size / 100),
          createTime: new Date(Date.UTC(2024, 0, 1) + n * 1000),
        };
      }),
    );
  }
  return size / ((performance.now() - started) / 1000);
}

/** Milliseconds per insert of one document per command. */
async function singleInserts(target: Target): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < SINGLE_INSERTS; i++)
    await target.users.insertOne({ username: `single-${pad(i)}`, tenant: -1, createTime: new Date(0) });
  return (performance.now() - started) / SINGLE_INSERTS;
}

const QUERIES: Record<string, (users: Collection) => Promise<unknown>> = {
  "sorted first page (createTime, limit 20)": (users) => users.find({}).sort({ createTime: -1 }).limit(20).toArray(),
  "prefix /^user-00012/ (100 matches)": (users) => users.find({ username: /^user-00012/ }).toArray(),
  "count by tenant (100)": (users) => users.countDocuments({ tenant: 42 }),
  "findOne by _id": async (users) =>
    users.findOne({ _id: (await users.findOne({ username: "user-0004242" }, { projection: { _id: 1 } }))!._id }),
};

const root = mkdtempSync(join(tmpdir(), "bench-storage-"));
const targets: Target[] = [];
try {
  console.log("mode | users | insertMany docs/s | insertOne ms/op");
  for (const size of SIZES) {
    for (const mode of MODES) {
      const target = await open(mode, size, mode === "persistent" ? join(root, String(size)) : undefined);
      targets.push(target);
      const rate = await seed(target);
      const single = await singleInserts(target);
      console.log(`${mode} | ${size} | ${Math.round(rate)} | ${single.toFixed(3)}`);
    }
  }
  // Reopened from disk, so the reads below run on indexes rebuilt at open.
  const large = targets.findIndex((target) => target.mode === "persistent" && target.size === SIZES.at(-1));
  await close(targets[large]!);
  const reopening = performance.now();
  const cpu = process.cpuUsage();
  targets[large] = await open("persistent", SIZES.at(-1)!, targets[large]!.dataDir);
  // CPU time too: on a shared machine the wall time says more about the neighbours.
  const { user, system } = process.cpuUsage(cpu);
  console.log(
    `reopen ${SIZES.at(-1)! + SINGLE_INSERTS} users from disk: ${Math.round(performance.now() - reopening)} ms (${Math.round((user + system) / 1000)} ms CPU)`,
  );

  const times = new Map<string, number[]>();
  for (let run = 0; run <= RUNS; run++) {
    for (const [name, query] of Object.entries(QUERIES)) {
      for (const target of targets) {
        const started = performance.now();
        await query(target.users);
        const key = `${name}|${target.mode}|${target.size}`;
        if (run > 0) times.set(key, [...(times.get(key) ?? []), performance.now() - started]);
      }
    }
  }
  console.log(`\nquery | mode | ${SIZES.map((size) => `${size} users`).join(" | ")} | ratio`);
  for (const name of Object.keys(QUERIES)) {
    for (const mode of MODES) {
      const [small, big] = SIZES.map((size) => median(times.get(`${name}|${mode}|${size}`)!));
      console.log(
        `${name} | ${mode} | ${small!.toFixed(2)} ms | ${big!.toFixed(2)} ms | ${(big! / small!).toFixed(2)}`,
      );
    }
  }
} finally {
  for (const target of targets) await close(target).catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
}
