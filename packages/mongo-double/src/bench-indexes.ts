// Times indexed reads at 10,000 and 100,000 documents: a sorted first page, an anchored prefix,
// a count by an indexed field and a count by a compound index's leading field. Each query
// matches as many documents at both sizes, so an index keeps its time flat. Medians of 15
// interleaved runs. `node dist/bench-indexes.js [path of a server.js to measure]`.
import { MongoClient, type Collection } from "mongodb";
import type * as serverApi from "./server.js";

const serverModule = process.argv[2] ?? "./server.js";
const { startMongoDouble } = (await import(serverModule)) as typeof serverApi;
const SIZES = [10_000, 100_000];
const RUNS = 15;

const pad = (n: number): string => String(n).padStart(7, "0");

async function seed(collection: Collection, total: number): Promise<void> {
  await collection.createIndexes([
    { key: { userId: 1, name: 1 }, name: "user_name" },
    { key: { createTime: 1 }, name: "create_time" },
    { key: { name: 1 }, name: "name" },
    { key: { kind: 1 }, name: "kind" },
  ]);
  for (let offset = 0; offset < total; offset += 1_000) {
    await collection.insertMany(
      Array.from({ length: 1_000 }, (_, i) => {
        const n = offset + i;
        // Ten tokens per user and a hundred documents per kind, whatever the size.
        return {
          userId: `u${n % (total / 10)}`,
          kind: n % (total / 100),
          name: `token-${pad(n)}`,
          createTime: new Date(Date.UTC(2024, 0, 1) + n * 1000),
        };
      }),
    );
  }
}

const QUERIES: Record<string, (c: Collection) => Promise<unknown>> = {
  "sorted first page (limit 20)": (c) => c.find({}).sort({ createTime: -1 }).limit(20).toArray(),
  "anchored prefix (100 matches)": (c) => c.find({ name: /^token-00012/ }).toArray(),
  "count by indexed field (100)": (c) => c.countDocuments({ kind: 42 }),
  "compound-prefix count (10)": (c) => c.countDocuments({ userId: "u42" }),
};

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const server = await startMongoDouble();
const client = new MongoClient(server.uri);
try {
  const collections = SIZES.map((size) => client.db("bench_indexes").collection(`docs_${size}`));
  for (const [i, size] of SIZES.entries()) await seed(collections[i]!, size);
  // Sizes interleaved within each run, so drift on a shared machine hits both alike; the first run warms up.
  const times = new Map<string, number[][]>(Object.keys(QUERIES).map((name) => [name, SIZES.map(() => [])]));
  for (let run = 0; run <= RUNS; run++) {
    for (const [name, query] of Object.entries(QUERIES)) {
      for (const [i, collection] of collections.entries()) {
        const started = performance.now();
        await query(collection);
        if (run > 0) times.get(name)![i]!.push(performance.now() - started);
      }
    }
  }
  const results = Object.fromEntries([...times].map(([name, bySize]) => [name, bySize.map(median)]));
  console.log(`query | ${SIZES.map((size) => `${size} docs`).join(" | ")} | ratio`);
  for (const [name, [small, large]] of Object.entries(results)) {
    console.log(`${name} | ${small!.toFixed(2)} ms | ${large!.toFixed(2)} ms | ${(large! / small!).toFixed(2)}`);
  }
} finally {
  await client.close();
  await server.close();
}
