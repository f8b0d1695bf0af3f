import { describe, expect, it } from "vitest";
import type { Doc } from "./bson-values.js";
import { Collection } from "./collection.js";
import { Deadline } from "./deadline.js";
import { canonicalKey } from "./index-key.js";
import { normalizeIndexSpec } from "./index-spec.js";
import type { OrderedIndex } from "./ordered-index.js";
import { compileFilter } from "./query-engine.js";
import { countMatching, findRecords, matching, newExecution, scanMatching } from "./query-exec.js";
import { candidates, planQuery, residualFilter, type Plan } from "./query-plan.js";
import { sortRecords } from "./sort-order.js";

// A small seeded generator, so a failure names a case that can be replayed.
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const next = random(20261129);
const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
const STRINGS = ["a", "A", "ab", "Ab", "abc", "b", "B", "é", "e", "", "a.c", "a\u00ff"];
const scalar = (): unknown =>
  pick<() => unknown>([
    () => Math.floor(next() * 10) - 2,
    () => pick(STRINGS),
    () => null,
    () => true,
    () => new Date(Date.UTC(2024, 0, 1 + Math.floor(next() * 5))),
    () => 2.5,
  ])();
const value = (): unknown => (next() < 0.2 ? [scalar(), scalar()] : next() < 0.05 ? [] : scalar());

function document(id: number): Doc {
  const doc: Doc = { _id: id, t: new Date(Date.UTC(2024, 0, 1) + id * 1000) };
  if (next() < 0.9) doc.a = value();
  if (next() < 0.8) doc.b = Math.floor(next() * 5);
  if (next() < 0.9) doc.s = pick(STRINGS);
  if (next() < 0.7) doc.tags = Array.from({ length: Math.floor(next() * 4) }, () => Math.floor(next() * 8));
  if (next() < 0.3) doc.c = pick(STRINGS);
  return doc;
}

const INDEXES = [
  { key: { a: 1 }, name: "a_1" },
  { key: { b: 1, a: -1 }, name: "b_1_a_-1" },
  { key: { s: 1 }, name: "s_ci", collation: { locale: "en", strength: 2 } },
  { key: { s: 1, b: 1 }, name: "s_1_b_1" },
  { key: { tags: 1 }, name: "tags_1" },
  // Array paths before the sort's: pinned to one value, they return documents in `t` order.
  { key: { tags: 1, t: -1 }, name: "tags_1_t_-1" },
  { key: { a: 1, t: 1, _id: 1 }, name: "a_1_t_1__id_1" },
  { key: { t: -1 }, name: "t_-1" },
  { key: { b: 1 }, name: "b_partial", partialFilterExpression: { b: { $gt: 2 } } },
  { key: { c: 1 }, name: "c_sparse", sparse: true },
];

function predicate(): Doc {
  const field = pick(["a", "b", "s", "tags", "c", "_id"]);
  const operand = () => (field === "b" || field === "tags" || field === "_id" ? Math.floor(next() * 8) - 1 : scalar());
  return pick<() => Doc>([
    () => ({ [field]: operand() }),
    () => ({ [field]: { $in: [operand(), operand()].slice(0, Math.floor(next() * 3)) } }),
    () => ({ [field]: { [pick(["$gt", "$gte", "$lt", "$lte"])]: operand() } }),
    () => ({ [field]: { $gte: operand(), $lt: operand() } }),
    () => ({ [field]: pick([/^a/, /^A/i, /b/, /^a\.c/, /^ab?/, /^$/]) }),
    () => ({ [field]: { $in: [pick([/^a/, /^$/, /B/i]), operand(), pick(["ab", "A", "abc"])] } }),
    () => ({ [field]: { $exists: next() < 0.5 } }),
    () => ({ [field]: { $ne: operand() } }),
    () => ({ [field]: { $all: [operand()] } }),
  ])();
}

function query(): Doc {
  const shape = next();
  if (shape < 0.15) return { $or: [predicate(), predicate()] };
  if (shape < 0.5) return { ...predicate(), ...predicate() };
  if (shape < 0.6) return { $and: [predicate(), predicate()] };
  return predicate();
}

/** An `$or` whose branches pin an array field before `t` in an index: each can return documents in `t` order. */
const orderedBranches = (): Doc => ({
  $or: Array.from({ length: 2 + Math.floor(next() * 2) }, () =>
    next() < 0.5 ? { tags: Math.floor(next() * 8) } : { a: Math.floor(next() * 10) - 2 },
  ),
});

const ids = (records: Array<{ doc: Doc }>): unknown[] => records.map((record) => record.doc._id);
const byId = (a: unknown, b: unknown): number => Number(a) - Number(b);

describe("ordered indexes", () => {
  const collection = new Collection("db", "docs");
  for (const spec of INDEXES) collection.createIndex(normalizeIndexSpec(spec));
  for (let id = 0; id < 400; id++) collection.insert(document(id));
  // Some writes after the indexes exist, so index maintenance is exercised too.
  for (let id = 0; id < 400; id += 7)
    collection.replace(collection.all().find((record) => record.doc._id === id)!, document(id));
  for (let id = 3; id < 400; id += 11) collection.remove(collection.all().find((record) => record.doc._id === id)!);

  const scan = (filter: Doc, collation?: unknown) => {
    const matcher = compileFilter(filter, collation);
    return collection.all().filter((record) => matcher(record));
  };

  it("when 1,000 generated filters run through the planner then each returns exactly what a collection scan returns", async () => {
    let indexed = 0;
    for (let i = 0; i < 1_000; i++) {
      const filter = query();
      const collation = next() < 0.25 ? { locale: "en", strength: 2 } : undefined;
      const expected = ids(scan(filter, collation)).sort(byId);
      if (planQuery(collection, filter, collation).kind !== "collscan") indexed++;
      const found = ids(matching(collection, filter, collation, new Deadline(undefined, false)));
      expect({ filter, collation, ids: [...found].sort(byId) }).toEqual({ filter, collation, ids: expected });
      expect(new Set(found).size).toBe(found.length);
      // Reads skip the filter where the index bounds decide it: they must find the same.
      const read = ids(await scanMatching(collection, filter, collation, new Deadline(undefined, false)));
      expect({ filter, collation, ids: read.sort(byId) }).toEqual({ filter, collation, ids: expected });
    }
    // The generator must exercise indexes, or the comparison proves nothing about them.
    expect(indexed).toBeGreaterThan(500);
  }, 60_000);

  it("when generated sorted, limited finds run then each returns the scan's first page in the same order", async () => {
    let served = 0;
    let merged = 0;
    let raced = 0;
    for (let i = 0; i < 500; i++) {
      const shape = next();
      const filter = shape < 0.25 ? {} : shape < 0.4 ? orderedBranches() : query();
      const sort = pick([{ t: -1 }, { t: 1 }, { _id: 1 }, { _id: -1 }]);
      const skip = pick([0, 0, 3]);
      const limit = pick([1, 5, 20]);
      const execution = newExecution(collection, filter, undefined, sort);
      const plan = execution.plan;
      if (plan.kind === "ixscan" && plan.sortDirection !== 0) served++;
      if (plan.kind === "or" && plan.mergeSort !== undefined) merged++;
      const expected = ids(sortRecords(scan(filter), sort).slice(skip, skip + limit));
      const found = ids(
        await findRecords(
          collection,
          { filter, sort, skip, limit, collation: undefined },
          new Deadline(undefined, false),
          execution,
        ),
      );
      if (execution.rejected !== undefined) raced++;
      expect({ filter, sort, ids: found }).toEqual({ filter, sort, ids: expected });
    }
    expect(served).toBeGreaterThan(100);
    // Merged branches and raced plans must be among them, or the comparison proves nothing about those.
    expect(merged).toBeGreaterThan(5);
    expect(raced).toBeGreaterThan(50);
  }, 60_000);

  it("when an array field is pinned to one value then its compound index returns the sort's order; a range on it does not", () => {
    const pinned = planQuery(collection, { tags: 3 }, undefined, { t: 1 });
    expect(pinned.kind === "ixscan" && [pinned.index.spec.name, pinned.sortDirection]).toEqual(["tags_1_t_-1", -1]);
    const ranged = planQuery(collection, { tags: { $gte: 3 } }, undefined, { t: 1 });
    expect(ranged.kind === "ixscan" && ranged.sortDirection).toBe(0);
  });
});

describe("conditions an index scan decides", () => {
  const collection = new Collection("db", "tagged");
  collection.createIndex(normalizeIndexSpec({ key: { tags: 1, t: 1 }, name: "tags_1_t_1" }));
  for (let id = 0; id < 20; id++)
    collection.insert({ _id: id, tags: [`g${id % 3}`, "all"], name: `n${id}`, t: new Date(Date.UTC(2024, 0, 1 + id)) });

  it("when a scan pins an array field to one value then only the filter's other conditions are left to test", () => {
    const filter = { $and: [{ tags: "g1" }, { name: { $regex: "1" } }] };
    const plan = planQuery(collection, filter, undefined, { t: 1 });
    expect(plan.kind === "ixscan" && residualFilter(plan, filter)).toEqual({ $and: [{ name: { $regex: "1" } }] });
  });

  it("when two conditions name the scanned field, or the filter is not a conjunction, then nothing is left out", () => {
    const twice = { $and: [{ tags: "g1" }, { tags: { $ne: "g2" } }] };
    const plan = planQuery(collection, twice, undefined, undefined);
    expect(plan.kind === "ixscan" && residualFilter(plan, twice)).toBeUndefined();
    const nor = { tags: "g1", $nor: [{ name: "n1" }] };
    const norPlan = planQuery(collection, nor, undefined, undefined);
    expect(norPlan.kind === "ixscan" && residualFilter(norPlan, nor)).toEqual({ $and: [{ $nor: [{ name: "n1" }] }] });
  });

  it("when the rest is tested alone then a sorted, limited find returns what the whole filter does", async () => {
    const filter = { $and: [{ tags: "g1" }, { name: { $regex: "1" } }] };
    const found = await findRecords(
      collection,
      { filter, sort: { t: 1 }, skip: 0, limit: 3, collation: undefined },
      new Deadline(undefined, false),
    );
    expect(found.map((record) => record.doc._id)).toEqual([1, 10, 13]);
  });
});

describe("an $or read one scan per branch", () => {
  const collection = new Collection("db", "branches");
  collection.createIndex(normalizeIndexSpec({ key: { tags: 1, t: 1 }, name: "tags_1_t_1" }));
  for (let id = 0; id < 12; id++)
    collection.insert({ _id: id, tags: ["x", `g${id % 2}`], name: `n${id}`, t: new Date(Date.UTC(2024, 0, 12 - id)) });

  it("when a branch's scan finds a document its own filter refuses then the branch it matches keeps it, once and in order", async () => {
    // Every document is under "x"; the first branch keeps odd ids, the second the ids 4 and 6.
    const filter = {
      $or: [
        { $and: [{ tags: "x" }, { name: { $regex: "[13579]$" } }] },
        { $and: [{ tags: "x" }, { name: { $in: ["n4", "n6"] } }] },
      ],
    };
    const found = await findRecords(
      collection,
      { filter, sort: { t: 1 }, skip: 0, limit: 5, collation: undefined },
      new Deadline(undefined, false),
    );
    expect(planQuery(collection, filter, undefined, { t: 1 })).toMatchObject({ kind: "or", mergeSort: { t: 1 } });
    expect(found.map((record) => record.doc._id)).toEqual([11, 9, 7, 6, 5]);
    const all = await scanMatching(collection, filter, undefined, new Deadline(undefined, false));
    expect(all.map((record) => record.doc._id).sort((a, b) => Number(a) - Number(b))).toEqual([
      1, 3, 4, 5, 6, 7, 9, 11,
    ]);
  });
});

describe("prefix regexes the index decides", () => {
  it("when the field also holds a regular expression then reads and counts still check it as the filter does", async () => {
    const collection = new Collection("d", "words");
    collection.createIndex(normalizeIndexSpec({ key: { w: 1 }, name: "w_1" }));
    for (let i = 0; i < 30; i++) collection.insert({ _id: i, w: `w${i}` });
    const deadline = () => new Deadline(undefined, false);
    const filters = [{ w: /^w1/ }, { w: { $regex: "^w2" } }, { w: { $in: [/^w1/, "w3"] } }];
    const answers = async () =>
      Promise.all(
        filters.map(async (filter) => [
          (await scanMatching(collection, filter, undefined, deadline())).length,
          await countMatching(collection, filter, undefined, deadline()),
        ]),
      );
    const expected = async () => filters.map((filter) => matching(collection, filter, undefined, deadline()).length);
    expect(await answers()).toEqual((await expected()).map((n) => [n, n]));
    collection.insert({ _id: 30, w: /^w1/ });
    collection.insert({ _id: 31, w: /^w/ });
    expect(await answers()).toEqual((await expected()).map((n) => [n, n]));
  });
});

describe("counts with a limit", () => {
  it("when a count may stop at a number then it examines no more than that, through the index or a scan", async () => {
    const collection = new Collection("d", "counted");
    collection.createIndex(normalizeIndexSpec({ key: { k: 1 }, name: "k_1" }));
    for (let i = 0; i < 500; i++) collection.insert({ _id: i, k: i % 2, odd: i % 2 === 1 });
    const deadline = () => new Deadline(undefined, false);
    for (const filter of [{ k: 1 }, { odd: true }]) {
      const execution = newExecution(collection, filter, undefined);
      expect(await countMatching(collection, filter, undefined, deadline(), execution, 30)).toBe(30);
      const { keysExamined, docsExamined } = execution.stats;
      expect(Math.max(keysExamined, docsExamined)).toBeLessThanOrEqual(60);
      expect(await countMatching(collection, filter, undefined, deadline(), undefined, 300)).toBe(250);
      expect(await countMatching(collection, filter, undefined, deadline())).toBe(250);
    }
  });
});

describe("lookups by _id", () => {
  it("when a filter pins _id alone then the _id index is read, one key examined, even beside an index that leads with _id", async () => {
    const collection = new Collection("d", "by_id");
    collection.createIndex(normalizeIndexSpec({ key: { _id: 1, a: 1 }, name: "_id_1_a_1" }));
    for (let id = 0; id < 100; id++) collection.insert({ _id: `k${id}`, a: id });
    const plan = planQuery(collection, { _id: "k42" }, undefined);
    expect(plan.kind === "ixscan" && plan.index.spec.name).toBe("_id_");
    const execution = { plan, stats: { keysExamined: 0, docsExamined: 0 } };
    const found = await findRecords(
      collection,
      { filter: { _id: "k42" }, sort: undefined, skip: 0, limit: 0, collation: undefined },
      new Deadline(undefined, false),
      execution,
    );
    expect(found.map((record) => record.doc)).toEqual([{ _id: "k42", a: 42 }]);
    expect(execution.stats).toEqual({ keysExamined: 1, docsExamined: 1 });
  });
});

describe("updates that keep an index's keys", () => {
  it("when an update sets other fields then reads through the index see the new version, and a scalar that becomes an array makes the index multikey", async () => {
    const collection = new Collection("d", "in_place");
    collection.createIndex(normalizeIndexSpec({ key: { a: 1 }, name: "a_1" }));
    const old = collection.insert({ _id: 1, a: 5, note: "old" });
    const updated = collection.replace(old, { _id: 1, a: 5, note: "new" });
    const found = await findRecords(
      collection,
      { filter: { a: 5 }, sort: undefined, skip: 0, limit: 0, collation: undefined },
      new Deadline(undefined, false),
    );
    expect(found.map((record) => record.doc)).toEqual([{ _id: 1, a: 5, note: "new" }]);
    const index = collection.orderedIndexes().find((i) => i.spec.name === "a_1")!;
    expect(index.multikey).toBe(false);
    collection.replace(updated, { _id: 1, a: [5], note: "array" });
    expect(index.multikey).toBe(true);
    expect(index.size).toBe(1);
  });
});

describe("lookups by string id", () => {
  const ids = ["k", "a", "é", "b", "\u{1F600}", "\uFFFD", "ab"];
  function collectionOfIds(): Collection {
    const collection = new Collection("db", "ids");
    for (const id of ids) collection.insert({ _id: id, n: id.length });
    collection.insert({ _id: 7, n: 0 });
    return collection;
  }
  const read = async (collection: Collection, filter: Doc, sort?: Doc) => {
    const execution = newExecution(collection, filter, undefined, sort);
    const records = await findRecords(
      collection,
      { filter, sort, skip: 0, limit: 0, collation: undefined },
      new Deadline(undefined, false),
      execution,
    );
    return { ids: records.map((record) => record.doc._id), stats: execution.stats, plan: execution.plan };
  };

  it.each<[string, Doc, Doc | undefined]>([
    ["one id", { _id: "é" }, undefined],
    ["ids in the index's order", { _id: { $in: ["ab", "\uFFFD", "missing", "a", "\u{1F600}"] } }, undefined],
    ["ids sorted down", { _id: { $in: ["ab", "\uFFFD", "a", "\u{1F600}", "k"] } }, { _id: -1 }],
    ["ids beside a number", { _id: { $in: ["b", 7, "a"] } }, { _id: 1 }],
    ["ids and another condition", { _id: { $in: ["b", "k", "ab"] }, n: 2 }, undefined],
  ])("when a find reads %s then it returns what the index order and explain say", async (_, filter, sort) => {
    const collection = collectionOfIds();
    const matcher = compileFilter(filter);
    const expected = sortRecords(collection.all().filter(matcher), sort ?? { _id: 1 }, undefined).map(
      (record) => record.doc._id,
    );
    const { ids: found, stats, plan } = await read(collection, filter, sort);
    expect(plan).toMatchObject({ kind: "ixscan", index: { spec: { name: "_id_" } } });
    expect(found).toEqual(expected);
    // Every id found is a key examined and a document examined, as a seek of the index counts them.
    const inBounds = collection.all().filter(compileFilter({ _id: filter._id })).length;
    expect(stats).toEqual({ keysExamined: inBounds, docsExamined: inBounds });
  });

  it("when a document is replaced or removed then the very next lookup by its id sees it", async () => {
    const collection = collectionOfIds();
    const [before] = (await read(collection, { _id: "b" })).ids.map((id) => collection.byId(`s${String(id)}`)!);
    collection.replace(before!, { _id: "b", n: 99 });
    const after = await findRecords(
      collection,
      { filter: { _id: { $in: ["b", "a"] } }, sort: undefined, skip: 0, limit: 0, collation: undefined },
      new Deadline(undefined, false),
    );
    expect(after.map((record) => record.doc)).toEqual([
      { _id: "a", n: 1 },
      { _id: "b", n: 99 },
    ]);
    collection.remove(after[1]!);
    expect((await read(collection, { _id: { $in: ["b", "a"] } })).ids).toEqual(["a"]);
  });

  it("when a lookup has started then a write meanwhile is not seen by it, as with a snapshot of the index", async () => {
    const collection = collectionOfIds();
    const execution = newExecution(collection, { _id: { $in: ["a", "b"] } }, undefined);
    const reading = candidatesOf(collection, execution.plan);
    const first = reading.next();
    collection.replace(collection.byId("sb")!, { _id: "b", n: 42 });
    expect([first.value.doc, reading.next().value.doc]).toEqual([
      { _id: "a", n: 1 },
      { _id: "b", n: 1 },
    ]);
  });
});

const candidatesOf = (collection: Collection, plan: Plan) =>
  candidates(collection, plan, { keysExamined: 0, docsExamined: 0 });

describe("an index scan while others write", () => {
  /** Documents 1–20 with `a` = their id, under the index a_1, and a scan of `a` in 1–5 and 11–15 that has read its first document. */
  function startedScan(sort: 1 | -1) {
    const collection = new Collection("db", "scanned");
    collection.createIndex(normalizeIndexSpec({ key: { a: 1 }, name: "a_1" }));
    for (let id = 1; id <= 20; id++) collection.insert({ _id: id, a: id });
    const execution = newExecution(collection, { a: { $in: [1, 2, 3, 4, 5, 11, 12, 13, 14, 15] } }, undefined, {
      a: sort,
    });
    expect(execution.plan).toMatchObject({ kind: "ixscan", index: { spec: { name: "a_1" } } });
    const reading = candidatesOf(collection, execution.plan);
    const first = reading.next().value!.doc._id;
    const rest = () => [...reading].map((record) => record.doc._id);
    return { collection, first, rest };
  }
  const ascending = [1, 2, 3, 4, 5, 11, 12, 13, 14, 15];

  it.each<[string, 1 | -1]>([
    ["up", 1],
    ["down", -1],
  ])(
    "when documents are inserted, removed and moved in both intervals mid-scan (%s) then the scan reads the index as it was when it started",
    (_, sort) => {
      const { collection, first, rest } = startedScan(sort);
      collection.insert({ _id: 100, a: 3 });
      collection.insert({ _id: 101, a: 12 });
      collection.remove(collection.byId(canonicalKey(14))!);
      collection.replace(collection.byId(canonicalKey(2))!, { _id: 2, a: 50 });
      collection.replace(collection.byId(canonicalKey(20))!, { _id: 20, a: 13 });
      const expected = sort === 1 ? ascending : [...ascending].reverse();
      expect([first, ...rest()]).toEqual(expected);
    },
  );

  it("when a scan has ended then the next scan sees the writes made since", () => {
    const first = startedScan(1);
    first.rest();
    first.collection.insert({ _id: 100, a: 3 });
    first.collection.remove(first.collection.byId(canonicalKey(14))!);
    const again = candidatesOf(
      first.collection,
      newExecution(first.collection, { a: { $in: [3, 14] } }, undefined, { a: 1 }).plan,
    );
    expect([...again].map((record) => record.doc._id)).toEqual([3, 100]);
  });

  it("when two scans overlap writes then each reads the index as it was when it started", () => {
    const early = startedScan(1);
    early.collection.insert({ _id: 100, a: 4 });
    const late = candidatesOf(
      early.collection,
      newExecution(early.collection, { a: { $in: [4, 5] } }, undefined, { a: 1 }).plan,
    );
    expect(late.next().value!.doc._id).toBe(4);
    early.collection.insert({ _id: 101, a: 5 });
    early.collection.remove(early.collection.byId(canonicalKey(100))!);
    expect([...late].map((record) => record.doc._id)).toEqual([100, 5]);
    expect(early.rest()).toEqual(ascending.slice(1));
  });
});

/** The ids a find returns, in its order. */
const found = (collection: Collection, filter: Doc, sort?: Doc) =>
  findRecords(
    collection,
    { filter, sort, skip: 0, limit: 0, collation: undefined },
    new Deadline(undefined, false),
  ).then((records) => records.map((record) => record.doc._id));
/** The ids a collection scan finds, sorted: what any plan must return. */
const scanned = (collection: Collection, filter: Doc, sort: Doc) =>
  sortRecords(collection.all().filter(compileFilter(filter)), sort, undefined).map((record) => record.doc._id);

describe.each<[string, Doc, Doc]>([
  ["a unique index", {}, {}],
  // A lookup states the partial filter's `$type`, without which mongod would not read the index (see filterImpliesPartial).
  ["a partial unique index", { partialFilterExpression: { code: { $type: "string" } } }, { $type: "string" }],
  ["a sparse unique index", { sparse: true }, {}],
])("%s on one field, which answers lookups of strings from its hash map", (_, options, stated) => {
  /** Codes under the index, written, rewritten and removed; one document holds two codes, one none. */
  function collectionOfCodes(): Collection {
    const collection = new Collection("db", "codes");
    collection.createIndex(normalizeIndexSpec({ key: { code: 1 }, name: "code_unique", unique: true, ...options }));
    collection.insert({ _id: "none" });
    for (let id = 0; id < 60; id++) collection.insert({ _id: `d${id}`, code: id % 5 === 0 ? id : `c${(id * 7) % 60}` });
    collection.insert({ _id: "pair", code: ["x", "y"] });
    for (let id = 1; id < 60; id += 6)
      collection.replace(collection.byId(`sd${id}`)!, { _id: `d${id}`, code: `r${id}` });
    for (let id = 2; id < 60; id += 9) collection.remove(collection.byId(`sd${id}`)!);
    return collection;
  }

  it("when strings are looked up then each finds the one document holding it, an array's element too", async () => {
    const collection = collectionOfCodes();
    const filter = { code: { $in: ["c7", "r7", "c14", "y", "missing", "c49"], ...stated } };
    expect(newExecution(collection, filter, undefined).plan).toMatchObject({
      index: { spec: { name: "code_unique" } },
    });
    expect(collection.orderedIndexes().find((index) => index.spec.name === "code_unique")!.multikey).toBe(true);
    expect(await found(collection, filter, { code: 1 })).toEqual(scanned(collection, filter, { code: 1 }));
    expect(await found(collection, { code: { $eq: "x", ...stated } })).toEqual(["pair"]);
  });

  it("when a read needs the order after writes, and again after more, then it finds what a scan finds", async () => {
    const collection = collectionOfCodes();
    const ranges = [
      [{ code: { $gte: "c2", $lt: "r" } }, { code: 1 }],
      [{ code: { $gt: 10 } }, { code: -1 }],
      [{ _id: { $gt: "d3" } }, { _id: -1 }],
    ] as const;
    for (const [filter, sort] of ranges)
      expect(await found(collection, filter, sort)).toEqual(scanned(collection, filter, sort));
    collection.insert({ _id: "d99", code: "c3x" });
    collection.insert({ _id: "d98", code: 55 });
    collection.replace(collection.byId("sd4")!, { _id: "d4", code: "c2a" });
    collection.remove(collection.byId("sd10")!);
    for (const [filter, sort] of ranges)
      expect(await found(collection, filter, sort)).toEqual(scanned(collection, filter, sort));
    expect(await found(collection, { code: "c2a" })).toEqual(["d4"]);
  });
});

describe("a unique index on several fields, which keeps no tree until a read needs its order", () => {
  /** Tokens by user and name, unique, beside a user-led index that keeps its tree; written, rewritten and removed. */
  function collectionOfTokens(): Collection {
    const collection = new Collection("db", "tokens");
    collection.createIndex(
      normalizeIndexSpec({ key: { userId: 1, name: 1 }, name: "userId_name_unique", unique: true }),
    );
    collection.createIndex(normalizeIndexSpec({ key: { userId: 1, createTime: -1 }, name: "userId_createTime" }));
    for (let id = 0; id < 60; id++)
      collection.insert({ _id: `t${id}`, userId: `u${id % 3}`, name: `n${(id * 7) % 60}`, createTime: new Date(id) });
    for (let id = 1; id < 60; id += 6)
      collection.replace(collection.byId(`st${id}`)!, { _id: `t${id}`, userId: `u${id % 3}`, name: `r${id}` });
    for (let id = 2; id < 60; id += 9) collection.remove(collection.byId(`st${id}`)!);
    return collection;
  }
  const planned = (collection: Collection, filter: Doc, sort?: Doc) =>
    (newExecution(collection, filter, sort).plan as { index?: OrderedIndex }).index?.spec.name;

  it("when another index narrows a query as much then the planner reads that one, whose tree is kept anyway", () => {
    const collection = collectionOfTokens();
    expect(planned(collection, { userId: "u1" })).toBe("userId_createTime");
    expect(planned(collection, { userId: { $in: ["u1", "u2"] } })).toBe("userId_createTime");
    // Narrower through the unique index: it is read, and builds its tree for it.
    expect(planned(collection, { userId: "u1", name: { $gte: "n3" } })).toBe("userId_name_unique");
  });

  it("when a read needs its order after writes, and again after more, then it finds what a scan finds", async () => {
    const collection = collectionOfTokens();
    const reads = [
      [{ userId: "u1", name: { $gte: "n3" } }, { name: 1 }],
      [
        { userId: { $in: ["u0", "u2"] }, name: { $lt: "r" } },
        { userId: 1, name: -1 },
      ],
    ] as const;
    for (const [filter, sort] of reads)
      expect(await found(collection, filter, sort)).toEqual(scanned(collection, filter, sort));
    collection.insert({ _id: "t99", userId: "u1", name: "n35" });
    collection.replace(collection.byId("st4")!, { _id: "t4", userId: "u1", name: "n4a" });
    collection.remove(collection.byId("st10")!);
    for (const [filter, sort] of reads)
      expect(await found(collection, filter, sort)).toEqual(scanned(collection, filter, sort));
  });

  it("when a document holds arrays on two of its fields then creating the index fails, as for one built at once", () => {
    const collection = new Collection("db", "tokens");
    collection.insert({ _id: "t1", userId: ["u1", "u2"], name: ["a", "b"] });
    expect(() =>
      collection.createIndex(normalizeIndexSpec({ key: { userId: 1, name: 1 }, name: "pair_unique", unique: true })),
    ).toThrow(/parallel arrays/);
    expect(collection.indexes().map((spec) => spec.name)).toEqual(["_id_"]);
  });
});
