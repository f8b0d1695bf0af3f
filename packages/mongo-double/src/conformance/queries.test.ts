import { Decimal128, Long, ObjectId, Binary, Timestamp } from "mongodb";
import { beforeAll, describe, expect, it } from "vitest";
import { rejection, useBackend } from "../testing.js";

const backend = useBackend("conformance_queries");

describe("queries", () => {
  beforeAll(async () => {
    await backend.db.collection("people").insertMany([
      { _id: 1, name: "Alice", age: 30, tags: ["a", "b"], address: { city: "Paris" } },
      { _id: 2, name: "bob", age: 25, tags: ["c"], address: { city: "Lyon" } },
      { _id: 3, name: "Élodie", age: 35, tags: [], nickname: null },
      { _id: 4, name: "alice", age: Long.fromNumber(40), tags: ["z", "a"] },
    ] as never[]);
  });
  const people = () => backend.collection("people");
  const ids = (docs: Array<{ _id: unknown }>) => docs.map((doc) => doc._id);

  it("when a filter uses comparison, $in, $exists and dotted paths then it matches as documented", async () => {
    expect(
      ids(
        await people()
          .find({ age: { $gte: 30 } })
          .sort({ _id: 1 })
          .toArray(),
      ),
    ).toEqual([1, 3, 4]);
    expect(
      ids(
        await people()
          .find({ _id: { $in: [2, 4] } })
          .sort({ _id: 1 })
          .toArray(),
      ),
    ).toEqual([2, 4]);
    expect(
      ids(
        await people()
          .find({ nickname: { $exists: true } })
          .toArray(),
      ),
    ).toEqual([3]);
    expect(ids(await people().find({ nickname: null }).sort({ _id: 1 }).toArray())).toEqual([1, 2, 3, 4]);
    expect(ids(await people().find({ "address.city": "Lyon" }).toArray())).toEqual([2]);
    expect(ids(await people().find({ tags: "a" }).sort({ _id: 1 }).toArray())).toEqual([1, 4]);
  });

  it("when $regex has options then the options apply", async () => {
    expect(
      ids(
        await people()
          .find({ name: { $regex: "^al", $options: "i" } })
          .sort({ _id: 1 })
          .toArray(),
      ),
    ).toEqual([1, 4]);
    expect(ids(await people().find({ name: /^al/ }).toArray())).toEqual([4]);
  });

  it("when a query has a strength 2 collation then string equality ignores case", async () => {
    const found = await people()
      .find({ name: "ALICE" }, { collation: { locale: "en", strength: 2 } })
      .sort({ _id: 1 })
      .toArray();
    expect(ids(found)).toEqual([1, 4]);
    expect(await people().countDocuments({ name: "ALICE" })).toBe(0);
  });

  it("when a query has a strength 1 collation then string equality ignores case and accents", async () => {
    const found = await people()
      .find({ name: "elodie" }, { collation: { locale: "fr", strength: 1 } })
      .toArray();
    expect(ids(found)).toEqual([3]);
  });

  it("when Long and Decimal128 values are compared with numbers then they compare by value", async () => {
    expect(ids(await people().find({ age: 40 }).toArray())).toEqual([4]);
    expect(
      ids(
        await people()
          .find({ age: Long.fromNumber(25) })
          .toArray(),
      ),
    ).toEqual([2]);
    expect(
      ids(
        await people()
          .find({ age: { $gt: Decimal128.fromString("36.5") } })
          .toArray(),
      ),
    ).toEqual([4]);
  });

  it("when $type uses aliases then it distinguishes objectId, binData, timestamp, long, decimal, int and double", async () => {
    const typed = backend.collection("typed");
    await typed.insertMany([
      { _id: "oid", v: new ObjectId() },
      { _id: "bin", v: new Binary(Buffer.from("x")) },
      { _id: "ts", v: new Timestamp({ t: 1, i: 1 }) },
      { _id: "long", v: Long.fromNumber(1) },
      { _id: "dec", v: Decimal128.fromString("1.5") },
      { _id: "int", v: 1 },
      { _id: "double", v: 1.5 },
      { _id: "str", v: "s" },
      { _id: "arr", v: [1, "x"] },
    ] as never[]);
    const of = async (type: unknown) =>
      ids(
        await typed
          .find({ v: { $type: type } } as never)
          .sort({ _id: 1 })
          .toArray(),
      );
    expect(await of("objectId")).toEqual(["oid"]);
    expect(await of("binData")).toEqual(["bin"]);
    expect(await of("timestamp")).toEqual(["ts"]);
    expect(await of("long")).toEqual(["long"]);
    expect(await of("decimal")).toEqual(["dec"]);
    expect(await of("int")).toEqual(["arr", "int"]);
    expect(await of("double")).toEqual(["double"]);
    expect(await of("number")).toEqual(["arr", "dec", "double", "int", "long"]);
    expect(await of(2)).toEqual(["arr", "str"]);
    expect(await of("array")).toEqual(["arr"]);
  });

  it("when sorting descending on an array field then documents sort by their largest element", async () => {
    expect(
      ids(
        await people()
          .find({ _id: { $in: [1, 2, 4] } })
          .sort({ tags: -1 })
          .toArray(),
      ),
    ).toEqual([4, 2, 1]);
    expect(
      ids(
        await people()
          .find({ _id: { $in: [1, 2, 4] } })
          .sort({ tags: 1 })
          .toArray(),
      ),
    ).toEqual([1, 4, 2]);
  });

  it("when find has sort, skip, limit and projection then they apply in that order", async () => {
    const docs = await people()
      .find({}, { projection: { name: 1, _id: 0 } })
      .sort({ _id: -1 })
      .skip(1)
      .limit(2)
      .toArray();
    expect(docs).toEqual([{ name: "Élodie" }, { name: "bob" }]);
    const excluded = await people().findOne({ _id: 2 } as never, { projection: { tags: 0, address: 0 } });
    expect(excluded).toEqual({ _id: 2, name: "bob", age: 25 });
  });

  it("when a filter uses an unknown operator then it fails with BadValue (2)", async () => {
    const error = await rejection(
      people()
        .find({ age: { $foo: 1 } } as never)
        .toArray(),
    );
    expect(error.code).toBe(2);
    expect(error.message).toBe("unknown operator: $foo");
    const topLevel = await rejection(
      people()
        .find({ $foo: 1 } as never)
        .toArray(),
    );
    expect(topLevel.code).toBe(2);
    expect(topLevel.message).toBe("unknown top level operator: $foo");
  });

  it("when a filter uses $elemMatch, $all, $size, $ne and $nin then they match as documented", async () => {
    expect(
      ids(
        await people()
          .find({ tags: { $all: ["a", "b"] } })
          .toArray(),
      ),
    ).toEqual([1]);
    expect(
      ids(
        await people()
          .find({ tags: { $size: 0 } })
          .toArray(),
      ),
    ).toEqual([3]);
    expect(
      ids(
        await people()
          .find({ tags: { $elemMatch: { $gte: "y" } } })
          .toArray(),
      ),
    ).toEqual([4]);
    expect(
      ids(
        await people()
          .find({ tags: { $nin: ["a", "c"] } })
          .toArray(),
      ),
    ).toEqual([3]);
    expect(
      ids(
        await people()
          .find({ name: { $ne: "bob" } })
          .sort({ _id: 1 })
          .toArray(),
      ),
    ).toEqual([1, 3, 4]);
  });

  it("when maxTimeMS is exceeded then the command fails with MaxTimeMSExpired (50)", async () => {
    const admin = backend.db.admin();
    const enabled = await admin.command({ configureFailPoint: "maxTimeAlwaysTimeOut", mode: "alwaysOn" }).then(
      () => true,
      () => false,
    );
    if (!enabled) return; // a server without test commands cannot force a timeout deterministically
    try {
      const error = await rejection(people().find({}).maxTimeMS(50).toArray());
      expect(error.code).toBe(50);
      expect(error.codeName).toBe("MaxTimeMSExpired");
    } finally {
      await admin.command({ configureFailPoint: "maxTimeAlwaysTimeOut", mode: "off" });
    }
  });

  it("when equality is asked on fields of sparse or partial unique indexes then documents outside the index are still found", async () => {
    const items = backend.collection("partial_lookup");
    await items.createIndex({ email: 1 }, { unique: true, partialFilterExpression: { email: { $type: "string" } } });
    await items.createIndex({ code: 1 }, { unique: true, sparse: true });
    await items.insertMany([
      { _id: 1, email: "a@x", code: "c1" },
      { _id: 2, email: 5 },
      { _id: 3, email: 5 },
      { _id: 4 },
    ]);
    expect(await items.find({ email: "a@x" }).toArray()).toEqual([{ _id: 1, email: "a@x", code: "c1" }]);
    expect((await items.find({ email: 5 }).toArray()).map((d) => d._id)).toEqual([2, 3]);
    expect((await items.find({ email: { $eq: null } }).toArray()).map((d) => d._id)).toEqual([4]);
    expect((await items.find({ code: null }).toArray()).map((d) => d._id)).toEqual([2, 3, 4]);
    expect((await items.find({ code: "c1" }).toArray()).map((d) => d._id)).toEqual([1]);
  });
});

describe("$mod", () => {
  const numbers = () => backend.collection("mod_numbers");
  beforeAll(async () => {
    await numbers().insertMany([
      { _id: 1, n: 5 },
      { _id: 2, n: 8 },
      { _id: 3, n: 5.9 },
      { _id: 4, n: -5 },
      { _id: 5, n: "5" },
      { _id: 6, n: [2, 9] },
      { _id: 7, n: [[5]] },
      { _id: 8, n: Long.fromNumber(13) },
    ] as never[]);
  });
  const matching = async (mod: unknown) =>
    (
      await numbers()
        .find({ n: { $mod: mod } }, { sort: { _id: 1 } })
        .toArray()
    ).map((doc) => doc._id);

  it("when $mod asks a remainder then numbers and array elements match by their integer part, strings and nested arrays never", async () => {
    expect(await matching([4, 1])).toEqual([1, 3, 6, 8]);
    expect(await matching([4, -1])).toEqual([4]);
    expect(await matching([4.9, 1.2])).toEqual([1, 3, 6, 8]);
    expect(await matching([-4, 1])).toEqual([1, 3, 6, 8]);
  });

  it("when $mod is malformed or divides by 0 then the read fails with BadValue, even on an empty collection", async () => {
    const refusals: Array<[unknown, string]> = [
      ["x", "malformed mod, needs to be an array"],
      [[], "malformed mod, not enough elements"],
      [[4], "malformed mod, not enough elements"],
      [["a", 1], "malformed mod, divisor not a number"],
      [[4, "b"], "malformed mod, remainder not a number"],
      [[4, 1, 2], "malformed mod, too many elements"],
      [[0, 1], "divisor cannot be 0"],
      [[0.5, 0], "divisor cannot be 0"],
    ];
    for (const [mod, message] of refusals) {
      for (const collection of [numbers(), backend.collection("mod_empty")]) {
        await expect(collection.find({ n: { $mod: mod } }).toArray()).rejects.toMatchObject({
          code: 2,
          message: expect.stringContaining(message),
        });
      }
    }
    await expect(numbers().countDocuments({ n: { $mod: [0, 0] } })).rejects.toMatchObject({ code: 2 });
    await expect(numbers().deleteMany({ n: { $mod: [0, 0] } })).rejects.toMatchObject({ code: 2 });
    expect(await numbers().countDocuments()).toBe(8);
  });
});

describe("projections that mix inclusion and exclusion", () => {
  const docs = () => backend.collection("projection_kinds");
  beforeAll(async () => {
    await docs().insertOne({ _id: 1, a: 1, b: { c: 2, d: 3 } } as never);
  });

  it("when a projection excludes a field after including one, or the reverse, then find and $project name it with mongod's code", async () => {
    for (const collection of [docs(), backend.collection("projection_empty")]) {
      await expect(collection.find({}, { projection: { a: 1, b: 0 } }).toArray()).rejects.toMatchObject({
        code: 31254,
        message: "Cannot do exclusion on field b in inclusion projection",
      });
      await expect(collection.find({}, { projection: { b: 0, a: true } }).toArray()).rejects.toMatchObject({
        code: 31253,
        message: "Cannot do inclusion on field a in exclusion projection",
      });
      await expect(collection.find({}, { projection: { a: 1, b: { c: 0 } } }).toArray()).rejects.toMatchObject({
        code: 31254,
        message: "Cannot do exclusion on field b.c in inclusion projection",
      });
    }
    await expect(
      docs()
        .aggregate([{ $project: { "b.d": 0, a: 1 } }])
        .toArray(),
    ).rejects.toMatchObject({
      code: 31253,
      message: "Invalid $project :: caused by :: Cannot do inclusion on field a in exclusion projection",
    });
  });

  it("when only _id goes the other way then the projection stands", async () => {
    expect(
      await docs()
        .find({}, { projection: { _id: 0, a: 1 } })
        .toArray(),
    ).toEqual([{ a: 1 }]);
    expect(
      await docs()
        .find({}, { projection: { _id: 1, b: 0 } })
        .toArray(),
    ).toEqual([{ _id: 1, a: 1 }]);
  });
});
