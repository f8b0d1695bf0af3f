import type { Document } from "mongodb";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../testing.js";

const backend = useBackend("conformance_index_plans");

/** The stages of a plan from the top, each with its fields. */
function stages(plan: Document): Document[] {
  const out: Document[] = [];
  for (let stage: Document | undefined = plan; stage; stage = stage.inputStage as Document | undefined) out.push(stage);
  return out;
}
const names = (plan: Document): string[] => stages(plan).map((stage) => stage.stage as string);
const stage = (plan: Document, name: string): Document | undefined => stages(plan).find((s) => s.stage === name);

describe("index plans and explain", () => {
  const tokens = () => backend.collection("tokens");
  beforeAll(async () => {
    await tokens().insertMany(
      Array.from({ length: 200 }, (_, i) => ({
        _id: i,
        userId: `u${i % 20}`,
        name: `token-${String(i).padStart(3, "0")}`,
        createTime: new Date(Date.UTC(2024, 0, 1) + i * 60_000),
        tags: [i % 3, i % 5],
      })) as never[],
    );
    await tokens().createIndex({ userId: 1, name: 1 }, { name: "user_name" });
    await tokens().createIndex({ createTime: 1 }, { name: "create_time" });
    await tokens().createIndex({ name: 1 }, { name: "name_ci", collation: { locale: "en", strength: 2 } });
    await tokens().createIndex({ tags: 1 }, { name: "tags" });
  });

  it("when a find asks equality on a compound index's leading field then explain shows FETCH over IXSCAN with that index's counts", async () => {
    const explain = await tokens().find({ userId: "u7" }).explain("executionStats");
    expect(names(explain.queryPlanner.winningPlan)).toEqual(["FETCH", "IXSCAN"]);
    expect(stage(explain.queryPlanner.winningPlan, "IXSCAN")).toMatchObject({
      indexName: "user_name",
      indexBounds: { userId: ['["u7", "u7"]'], name: ["[MinKey, MaxKey]"] },
    });
    expect(explain.executionStats).toMatchObject({ nReturned: 10, totalKeysExamined: 10, totalDocsExamined: 10 });
  });

  it("when a sorted find has a limit then the index returns the page in order with no SORT stage and examines only the page", async () => {
    const explain = await tokens().find({}).sort({ createTime: -1 }).limit(5).explain("executionStats");
    expect(names(explain.queryPlanner.winningPlan)).toEqual(["LIMIT", "FETCH", "IXSCAN"]);
    expect(stage(explain.queryPlanner.winningPlan, "IXSCAN")).toMatchObject({
      indexName: "create_time",
      direction: "backward",
    });
    expect(explain.executionStats).toMatchObject({ nReturned: 5, totalKeysExamined: 5, totalDocsExamined: 5 });
    expect((await tokens().find({}).sort({ createTime: -1 }).limit(3).toArray()).map((doc) => doc._id)).toEqual([
      199, 198, 197,
    ]);
  });

  it("when a count's filter is an equality on an index prefix then it is answered by COUNT_SCAN without fetching", async () => {
    const explain = await backend.db.command({
      explain: { count: "tokens", query: { userId: "u3" } },
      verbosity: "executionStats",
    });
    expect(names(explain.queryPlanner.winningPlan)).toEqual(["COUNT", "COUNT_SCAN"]);
    expect(explain.executionStats).toMatchObject({ totalKeysExamined: 10, totalDocsExamined: 0 });
    expect(await tokens().countDocuments({ userId: "u3" })).toBe(10);
  });

  it("when a count's filter is a plain literal prefix regex then the index keys answer it, no document fetched", async () => {
    const words = backend.collection("words");
    await words.insertMany(Array.from({ length: 100 }, (_, i) => ({ _id: i, word: `w${i}` })) as never[]);
    await words.createIndex({ word: 1 }, { name: "word" });
    const explain = await backend.db.command({
      explain: { count: "words", query: { word: /^w1/ } },
      verbosity: "executionStats",
    });
    expect(explain.executionStats).toMatchObject({ totalDocsExamined: 0 });
    expect(await words.countDocuments({ word: /^w1/ })).toBe(11);
    // A flag, or a pattern that goes on past its literal, needs each document checked.
    expect(await words.countDocuments({ word: /^W1/i })).toBe(11);
    expect(await words.countDocuments({ word: /^w1\d/ })).toBe(10);
  });

  it("when a filter is an anchored prefix regex then the index bounds cover exactly the strings with that prefix", async () => {
    const explain = await tokens()
      .find({ userId: "u1", name: /^token-10/ })
      .explain("executionStats");
    expect(stage(explain.queryPlanner.winningPlan, "IXSCAN")).toMatchObject({
      indexName: "user_name",
      indexBounds: { name: ['["token-10", "token-11")', "[MinKey, MaxKey]"] },
    });
    expect(
      (
        await tokens()
          .find({ userId: "u1", name: /^token-10/ })
          .toArray()
      ).map((doc) => doc._id),
    ).toEqual([101]);
  });

  it("when a query's collation differs from a collated index's then the index gives no string bounds and results stay exact", async () => {
    await tokens().insertOne({ _id: 1000, userId: "x", name: "TOKEN-000", createTime: new Date(0), tags: [] } as never);
    const binary = await tokens().find({ name: "token-000" }).explain("executionStats");
    expect(stage(binary.queryPlanner.winningPlan, "IXSCAN")?.indexBounds).not.toEqual({
      name: ['["token-000", "token-000"]'],
    });
    expect((await tokens().find({ name: "token-000" }).toArray()).map((doc) => doc._id)).toEqual([0]);
    const folded = await tokens()
      .find({ name: "token-000" }, { collation: { locale: "en", strength: 2 } })
      .explain("executionStats");
    expect(stage(folded.queryPlanner.winningPlan, "IXSCAN")).toMatchObject({ indexName: "name_ci" });
    const found = await tokens()
      .find({ name: "token-000" }, { collation: { locale: "en", strength: 2 } })
      .toArray();
    expect(found.map((doc) => doc._id).sort()).toEqual([0, 1000]);
    await tokens().deleteOne({ _id: 1000 });
  });

  it("when a multikey index answers a range then an array matching each side with another element is still found", async () => {
    await tokens().insertOne({
      _id: 2000,
      userId: "m",
      name: "multi",
      createTime: new Date(0),
      tags: [-5, 50],
    } as never);
    const explain = await tokens()
      .find({ tags: { $gt: 10, $lt: 20 } })
      .explain("executionStats");
    expect(stage(explain.queryPlanner.winningPlan, "IXSCAN")).toMatchObject({ indexName: "tags", isMultiKey: true });
    expect(
      (
        await tokens()
          .find({ tags: { $gt: 10, $lt: 20 } })
          .toArray()
      ).map((doc) => doc._id),
    ).toEqual([2000]);
    await tokens().deleteOne({ _id: 2000 });
  });

  it("when a partial index does not hold every match then the query scans the collection and finds the documents it leaves out", async () => {
    const people = backend.collection("people");
    await people.insertMany([{ _id: 1, email: "a@x" }, { _id: 2 }, { _id: 3, email: null }] as never[]);
    await people.createIndex(
      { email: 1 },
      { name: "email_present", partialFilterExpression: { email: { $type: "string" } } },
    );
    const plan = async (filter: Document) =>
      (await people.find(filter).explain("executionStats")).queryPlanner.winningPlan as Document;
    // mongod proves a `$type` filter only from the same `$type` in the query, never from the value looked up.
    expect(names(await plan({ email: "a@x" }))).toEqual(["COLLSCAN"]);
    expect(names(await plan({ email: { $in: ["a@x", "b@x"] } }))).toEqual(["COLLSCAN"]);
    expect(stage(await plan({ email: { $eq: "a@x", $type: "string" } }), "IXSCAN")).toMatchObject({
      indexName: "email_present",
    });
    expect(
      stage(await plan({ $and: [{ email: { $in: ["a@x", "b@x"] } }, { email: { $type: "string" } }] }), "IXSCAN"),
    ).toMatchObject({ indexName: "email_present" });
    expect(names(await plan({ email: { $eq: "a@x", $type: "int" } }))).toEqual(["COLLSCAN"]);
    expect((await people.find({ email: "a@x" }).toArray()).map((doc) => doc._id)).toEqual([1]);
    expect(names((await people.find({ email: null }).explain("executionStats")).queryPlanner.winningPlan)).toEqual([
      "COLLSCAN",
    ]);
    expect((await people.find({ email: null }).toArray()).map((doc) => doc._id)).toEqual([2, 3]);
  });

  it("when a partial filter is $exists or a range then the values looked up prove it, as mongod proves them", async () => {
    const handles = backend.collection("handles");
    await handles.insertMany([{ _id: 1, h: "a", n: 5 }, { _id: 2 }, { _id: 3, h: "b", n: 1 }] as never[]);
    await handles.createIndex({ h: 1 }, { name: "h_present", partialFilterExpression: { h: { $exists: true } } });
    await handles.createIndex({ n: 1 }, { name: "n_above_2", partialFilterExpression: { n: { $gt: 2 } } });
    const plan = async (filter: Document) =>
      (await handles.find(filter).explain("executionStats")).queryPlanner.winningPlan as Document;
    expect(stage(await plan({ h: "a" }), "IXSCAN")).toMatchObject({ indexName: "h_present" });
    expect(stage(await plan({ h: { $in: ["a", "b"] } }), "IXSCAN")).toMatchObject({ indexName: "h_present" });
    // null matches documents without the field, which the index leaves out.
    expect(names(await plan({ h: null }))).toEqual(["COLLSCAN"]);
    expect(stage(await plan({ n: 5 }), "IXSCAN")).toMatchObject({ indexName: "n_above_2" });
    expect(names(await plan({ n: 1 }))).toEqual(["COLLSCAN"]);
    expect((await handles.find({ n: 1 }).toArray()).map((doc) => doc._id)).toEqual([3]);
  });

  it("when a filter asks a field be missing then a plain index is read at its null keys, as mongod reads it, and a sparse one is not", async () => {
    const marked = backend.collection("marked");
    await marked.insertMany(
      Array.from({ length: 100 }, (_, i) => ({ _id: i, keys: [`k${i}`, `j${i}`], mark: i })) as never[],
    );
    await marked.insertMany([
      { _id: 100 },
      { _id: 101, keys: null },
      { _id: 102, keys: ["k", null] },
      { _id: 103, keys: "k" },
    ] as never[]);
    await marked.createIndex({ keys: 1 }, { name: "keys" });
    await marked.createIndex({ mark: 1 }, { name: "mark_sparse", sparse: true });
    const missing = { keys: { $exists: false } };
    const explain = await marked.find(missing).explain("executionStats");
    expect(names(explain.queryPlanner.winningPlan)).toEqual(["FETCH", "IXSCAN"]);
    expect(stage(explain.queryPlanner.winningPlan, "IXSCAN")).toMatchObject({
      indexName: "keys",
      indexBounds: { keys: ["[null, null]"] },
    });
    // The null keys: the missing field, the null, and the array holding null; only the first matches.
    expect(explain.executionStats).toMatchObject({ nReturned: 1, totalKeysExamined: 3, totalDocsExamined: 3 });
    expect((await marked.find(missing).toArray()).map((doc) => doc._id)).toEqual([100]);
    // A sparse index leaves out the documents without the field: it cannot answer for them.
    const unmarked = { mark: { $exists: false } };
    expect(names((await marked.find(unmarked).explain("executionStats")).queryPlanner.winningPlan)).toEqual([
      "COLLSCAN",
    ]);
    expect((await marked.find(unmarked).toArray()).map((doc) => doc._id)).toEqual([100, 101, 102, 103]);
  });

  it("when several documents share an index key then the scan returns them in insertion order, as mongod's RecordId order", async () => {
    const found = (await tokens().find({ tags: 0 }).toArray()).map((doc) => doc._id as number);
    expect(found).toEqual(Array.from({ length: 200 }, (_, i) => i).filter((i) => i % 3 === 0 || i % 5 === 0));
  });

  it("when the index a query used is dropped then explain shows a collection scan", async () => {
    const scratch = backend.collection("scratch");
    await scratch.insertMany([
      { _id: 1, k: 1 },
      { _id: 2, k: 2 },
    ] as never[]);
    await scratch.createIndex({ k: 1 }, { name: "k" });
    expect(names((await scratch.find({ k: 2 }).explain("executionStats")).queryPlanner.winningPlan)).toEqual([
      "FETCH",
      "IXSCAN",
    ]);
    await scratch.dropIndex("k");
    expect(names((await scratch.find({ k: 2 }).explain("executionStats")).queryPlanner.winningPlan)).toEqual([
      "COLLSCAN",
    ]);
  });
});

describe("plans for sorted, limited finds", () => {
  const events = () => backend.collection("events");
  // 2,000 events: a quarter of each kind, a tenth of each tag, and one in 250 "rare".
  beforeAll(async () => {
    await events().insertMany(
      Array.from({ length: 2_000 }, (_, i) => ({
        _id: i,
        kind: `k${i % 4}`,
        tag: `t${i % 10}`,
        label: i % 250 === 7 ? "rare" : `common-${i % 3}`,
        createTime: new Date(Date.UTC(2024, 0, 1) + i * 60_000),
      })) as never[],
    );
    await events().createIndex({ kind: 1, createTime: 1 }, { name: "kind_time" });
    await events().createIndex({ tag: 1, createTime: 1 }, { name: "tag_time" });
    await events().createIndex({ label: 1 }, { name: "label" });
    await events().createIndex({ createTime: 1 }, { name: "create_time" });
  });
  const firstIds = (count: number, keep: (i: number) => boolean): number[] =>
    Array.from({ length: 2_000 }, (_, i) => i)
      .filter(keep)
      .slice(0, count);

  it("when each $or branch has an index in the sort's order then the branches merge (SORT_MERGE) and the page costs about its size, not the matches", async () => {
    const filter = { $or: [{ kind: "k1" }, { tag: "t2" }] };
    const explain = await events().find(filter).sort({ createTime: 1 }).limit(5).explain("executionStats");
    const merge =
      stage(explain.queryPlanner.winningPlan, "SORT_MERGE") ??
      stage(explain.queryPlanner.winningPlan.inputStage ?? {}, "SORT_MERGE");
    expect(merge?.inputStages.map((input: Document) => input.indexName)).toEqual(["kind_time", "tag_time"]);
    expect(stage(explain.queryPlanner.winningPlan, "SORT")).toBeUndefined();
    // 650 documents match; the page needs 5 of them and each branch's next key.
    expect(explain.executionStats.nReturned).toBe(5);
    expect(explain.executionStats.totalDocsExamined).toBeLessThanOrEqual(7);
    expect((await events().find(filter).sort({ createTime: 1 }).limit(5).toArray()).map((doc) => doc._id)).toEqual(
      firstIds(5, (i) => i % 4 === 1 || i % 10 === 2),
    );
  });

  it("when a filter matches most documents then walking the sort's index wins over collecting every match and sorting", async () => {
    const filter = { label: { $lt: "d" } };
    const explain = await events().find(filter).sort({ createTime: 1 }).limit(10).explain("executionStats");
    expect(names(explain.queryPlanner.winningPlan)).toEqual(["LIMIT", "FETCH", "IXSCAN"]);
    expect(stage(explain.queryPlanner.winningPlan, "IXSCAN")).toMatchObject({ indexName: "create_time" });
    expect(explain.queryPlanner.rejectedPlans.length).toBeGreaterThanOrEqual(1);
    // 1,992 documents match: the page takes the first 10 of them in index order, and one that does not.
    expect(explain.executionStats.totalDocsExamined).toBeLessThanOrEqual(20);
    expect((await events().find(filter).sort({ createTime: 1 }).limit(10).toArray()).map((doc) => doc._id)).toEqual(
      firstIds(10, (i) => i % 250 !== 7),
    );
  });

  it("when a filter matches few documents then its own index wins and the matches are sorted, not the sort's index walked", async () => {
    const filter = { label: "rare" };
    const explain = await events().find(filter).sort({ createTime: -1 }).limit(3).explain("executionStats");
    expect(stage(explain.queryPlanner.winningPlan, "SORT")).toBeDefined();
    expect(stage(explain.queryPlanner.winningPlan, "IXSCAN")).toMatchObject({ indexName: "label" });
    expect(explain.executionStats.totalDocsExamined).toBe(8);
    expect((await events().find(filter).sort({ createTime: -1 }).limit(3).toArray()).map((doc) => doc._id)).toEqual([
      1757, 1507, 1257,
    ]);
  });
});

describe("empty ranges", () => {
  it("when a range excludes its only value ($gte v, $lt v) then find and count return nothing", async () => {
    const values = backend.collection("values");
    await values.insertMany([{ _id: 0 }, { _id: 1 }, { _id: 2 }] as never[]);
    expect(await values.countDocuments({ _id: { $gte: 1, $lt: 1 } })).toBe(0);
    expect(await values.find({ _id: { $gt: 1, $lte: 1 } }).toArray()).toEqual([]);
    expect(await values.countDocuments({ _id: { $gte: 1, $lte: 1 } })).toBe(1);
  });
});

describe("hints", () => {
  const hinted = () => backend.collection("hinted");
  const missingIndex = {
    code: 2,
    message: expect.stringContaining("hint provided does not correspond to an existing index"),
  };
  beforeAll(async () => {
    await hinted().insertMany([
      { _id: 1, a: 3, b: 1, c: "x" },
      { _id: 2, a: 1, b: 2 },
      { _id: 3, a: 2, b: 2, c: "y" },
      { _id: 4, b: 3 },
    ] as never[]);
    await hinted().createIndex({ a: 1 }, { name: "a" });
    await hinted().createIndex({ c: 1 }, { name: "c_sparse", sparse: true });
    await hinted().createIndex({ b: 1 }, { name: "b_hidden", hidden: true });
  });

  it("when a find hints an index its filter does not bound then the whole index is scanned and the filter applied to what it fetches", async () => {
    const explain = await hinted().find({ b: 2 }).hint({ a: 1 }).explain("executionStats");
    expect(names(explain.queryPlanner.winningPlan)).toEqual(["FETCH", "IXSCAN"]);
    expect(stage(explain.queryPlanner.winningPlan, "IXSCAN")).toMatchObject({
      indexName: "a",
      indexBounds: { a: ["[MinKey, MaxKey]"] },
    });
    expect(explain.executionStats).toMatchObject({ nReturned: 2, totalKeysExamined: 4, totalDocsExamined: 4 });
  });

  it("when a find without a sort hints an index by name then the documents come in that index's order", async () => {
    expect((await hinted().find({}).hint("a").toArray()).map((doc) => doc._id)).toEqual([4, 2, 3, 1]);
  });

  it("when the hint is $natural then the collection is scanned in insertion order or its reverse, whatever index the filter could use", async () => {
    const explain = await hinted().find({ a: 1 }).hint({ $natural: 1 }).explain("executionStats");
    expect(names(explain.queryPlanner.winningPlan)).toEqual(["COLLSCAN"]);
    expect((await hinted().find({}).hint({ $natural: -1 }).toArray()).map((doc) => doc._id)).toEqual([4, 3, 2, 1]);
  });

  it("when a hinted index is sparse then the documents it leaves out are not found, as mongod documents", async () => {
    expect((await hinted().find({}).hint({ c: 1 }).toArray()).map((doc) => doc._id)).toEqual([1, 3]);
    expect(await hinted().countDocuments({}, { hint: "c_sparse" })).toBe(2);
  });

  it("when a hint names no index of the collection, or a hidden one, then every read refuses it with BadValue", async () => {
    for (const hint of ["nope", { z: 1 }, { a: -1 }, "b_hidden", { b: 1 }]) {
      await expect(hinted().find({}).hint(hint).toArray()).rejects.toMatchObject(missingIndex);
      await expect(hinted().countDocuments({}, { hint })).rejects.toMatchObject(missingIndex);
      await expect(backend.db.command({ count: "hinted", query: {}, hint })).rejects.toMatchObject(missingIndex);
      await expect(
        hinted()
          .aggregate([{ $match: {} }], { hint })
          .toArray(),
      ).rejects.toMatchObject(missingIndex);
    }
  });

  it("when a write hints an index the collection lacks then it is refused and changes nothing", async () => {
    await expect(hinted().updateOne({ _id: 1 }, { $set: { b: 9 } }, { hint: "nope" })).rejects.toMatchObject(
      missingIndex,
    );
    await expect(hinted().deleteMany({}, { hint: { z: 1 } })).rejects.toMatchObject(missingIndex);
    await expect(hinted().findOneAndUpdate({ _id: 1 }, { $set: { b: 9 } }, { hint: { z: 1 } })).rejects.toMatchObject(
      missingIndex,
    );
    expect(
      await hinted()
        .find({}, { sort: { _id: 1 } })
        .toArray(),
    ).toEqual([
      { _id: 1, a: 3, b: 1, c: "x" },
      { _id: 2, a: 1, b: 2 },
      { _id: 3, a: 2, b: 2, c: "y" },
      { _id: 4, b: 3 },
    ]);
  });

  it("when a write hints an index it has then it changes the documents its filter matches", async () => {
    const scratch = backend.collection("hinted_writes");
    await scratch.insertMany([
      { _id: 1, k: 1 },
      { _id: 2, k: 2 },
      { _id: 3, k: 2 },
    ] as never[]);
    await scratch.createIndex({ k: 1 }, { name: "k" });
    expect((await scratch.updateMany({ k: 2 }, { $set: { seen: true } }, { hint: "k" })).modifiedCount).toBe(2);
    expect((await scratch.deleteOne({ _id: 1 }, { hint: { k: 1 } })).deletedCount).toBe(1);
    expect(await scratch.findOneAndDelete({ k: 2 }, { hint: { _id: 1 }, sort: { _id: -1 } })).toMatchObject({ _id: 3 });
    expect(await scratch.find({}).toArray()).toEqual([{ _id: 2, k: 2, seen: true }]);
  });
});
