import { MongoClient, MongoServerError } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useBackend, type AnyDoc } from "../testing.js";

const backend = useBackend("conformance_max_time");
const documents = 100_000;
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

describe("maxTimeMS while a command works", () => {
  // A second client, so the cheap commands travel on connections of their own.
  let other: MongoClient;

  beforeAll(async () => {
    const items = backend.collection("items");
    for (let start = 0; start < documents; start += 10_000) {
      await items.insertMany(
        Array.from({ length: 10_000 }, (_, i) => ({
          _id: start + i,
          key: `${(((start + i) * 7_919) % 100_003).toString(36)}-${i % 97}`,
          n: (start + i) % 1_000,
        })),
        { ordered: false },
      );
    }
    other = await MongoClient.connect(`mongodb://${String(backend.client.options.hosts[0])}/?directConnection=true`);
  }, 120_000);
  afterAll(() => other?.close());

  // Five documents from the middle of the order: a small limit alone keeps only the first few (top-k), which is quick.
  const bigSort = (maxTimeMS?: number) =>
    backend
      .collection("items")
      .find(
        { n: { $gte: 0 } },
        { sort: { key: -1, _id: 1 }, skip: documents / 2, limit: 5, ...(maxTimeMS === undefined ? {} : { maxTimeMS }) },
      )
      .toArray();

  it("when maxTimeMS is shorter than a sort over 100,000 documents then it fails with MaxTimeMSExpired (50) within about twice the limit", async () => {
    const limit = 100;
    const elapsed: number[] = [];
    for (let round = 0; round < 5; round++) {
      const started = performance.now();
      const error = await bigSort(limit).then(
        () => undefined,
        (e: unknown) => e,
      );
      elapsed.push(performance.now() - started);
      expect(error).toBeInstanceOf(MongoServerError);
      expect((error as MongoServerError).code).toBe(50);
      expect((error as MongoServerError).codeName).toBe("MaxTimeMSExpired");
    }
    expect(median(elapsed)).toBeLessThan(2 * limit);
  });

  it("when a long sort runs then a cheap command on another connection answers promptly meanwhile", async () => {
    const cheap = other.db(backend.db.databaseName).collection<AnyDoc>("items");
    await cheap.findOne({ _id: 1 });
    let sortDone = 0;
    const sortStarted = performance.now();
    const sorting = bigSort().then((docs) => {
      sortDone = performance.now();
      return docs;
    });
    const latencies: number[] = [];
    let lastAnswer = 0;
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      expect(await cheap.findOne({ _id: 42 + i })).toMatchObject({ _id: 42 + i });
      lastAnswer = performance.now();
      latencies.push(lastAnswer - started);
    }
    expect((await sorting).length).toBe(5);
    // The cheap commands were answered while the sort was still working, each within a few slices:
    // a small part of the sort's own time, however loaded the machine (no absolute bound here).
    expect(sortDone).toBeGreaterThan(lastAnswer);
    expect(median(latencies)).toBeLessThan((sortDone - sortStarted) / 5);
  });
});
