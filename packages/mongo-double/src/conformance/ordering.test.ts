import { describe, expect, it } from "vitest";
import { useBackend } from "../testing.js";

const backend = useBackend("conformance_ordering");
const ids = (docs: Array<{ _id?: unknown }>) => docs.map((doc) => doc._id);

describe("sort order of values", () => {
  it("when some documents hold null and others lack the field then they sort as equals and the next key decides", async () => {
    const items = backend.collection("nulls");
    await items.insertMany([{ _id: 1, a: null }, { _id: 2 }, { _id: 3, a: null }, { _id: 4 }, { _id: 5, a: 0 }]);
    expect(ids(await items.find().sort({ a: 1, _id: 1 }).toArray())).toEqual([1, 2, 3, 4, 5]);
    expect(ids(await items.find().sort({ a: -1, _id: -1 }).toArray())).toEqual([5, 4, 3, 2, 1]);
    expect(ids(await items.aggregate([{ $sort: { a: 1, _id: -1 } }]).toArray())).toEqual([4, 3, 2, 1, 5]);
  });

  it("when strings hold characters at or above U+E000 and emoji then they sort by UTF-8 bytes", async () => {
    const items = backend.collection("strings");
    // UTF-16 code units would put the emoji (a surrogate pair, 0xD83D…) before U+E000 and U+FFFD.
    await items.insertMany([
      { _id: "emoji", s: "\u{1F600}" },
      { _id: "private", s: "\uE000" },
      { _id: "replacement", s: "\uFFFD" },
      { _id: "hangul", s: "\uD55C" },
      { _id: "ascii", s: "z" },
    ]);
    expect(ids(await items.find().sort({ s: 1 }).toArray())).toEqual([
      "ascii",
      "hangul",
      "private",
      "replacement",
      "emoji",
    ]);
    expect(ids(await items.find().sort({ s: -1 }).toArray())).toEqual([
      "emoji",
      "replacement",
      "private",
      "hangul",
      "ascii",
    ]);
  });

  it("when a range filter bounds strings at or above U+E000 then it selects by UTF-8 bytes", async () => {
    const items = backend.collection("strings");
    expect(
      ids(
        await items
          .find({ s: { $gt: "\uE000" } })
          .sort({ s: 1 })
          .toArray(),
      ),
    ).toEqual(["replacement", "emoji"]);
    expect(
      ids(
        await items
          .find({ s: { $lt: "\u{1F600}", $gte: "\uE000" } })
          .sort({ s: 1 })
          .toArray(),
      ),
    ).toEqual(["private", "replacement"]);
    expect(ids(await items.aggregate([{ $match: { s: { $lte: "\uFFFD" } } }, { $sort: { s: 1 } }]).toArray())).toEqual([
      "ascii",
      "hangul",
      "private",
      "replacement",
    ]);
  });
});

describe("updates and projections in mongod's shape", () => {
  it("when $addToSet with $each creates the field then repeated values are added once", async () => {
    const items = backend.collection("sets");
    await items.insertMany([{ _id: 1 }, { _id: 2, tags: ["b"] }]);
    await items.updateMany({}, { $addToSet: { tags: { $each: ["a", "b", "a", 1, 1.0, "b"] } } });
    expect(await items.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, tags: ["a", "b", 1] },
      { _id: 2, tags: ["b", "a", 1] },
    ]);
  });

  it("when an inclusion projection names fields in another order then they come back in the document's order", async () => {
    const items = backend.collection("projected");
    await items.insertOne({ _id: 1, a: 1, b: { x: 1, y: 2, z: 3 }, c: 3, d: 4 });
    const found = await items.findOne({}, { projection: { d: 1, "b.z": 1, "b.x": 1, a: 1 } });
    expect(Object.keys(found ?? {})).toEqual(["_id", "a", "b", "d"]);
    expect(Object.keys((found?.b ?? {}) as object)).toEqual(["x", "z"]);
    const withoutId = await items.findOne({}, { projection: { c: 1, _id: 0, a: 1 } });
    expect(Object.keys(withoutId ?? {})).toEqual(["a", "c"]);
    const staged = await items
      .aggregate([{ $project: { d: 1, "b.z": 1, "b.x": 1, a: 1, n: { $add: ["$a", 1] } } }])
      .toArray();
    expect(Object.keys(staged[0] ?? {})).toEqual(["_id", "a", "b", "d", "n"]);
    const modified = await items.findOneAndUpdate(
      { _id: 1 },
      { $set: { a: 2 } },
      { projection: { d: 1, a: 1 }, returnDocument: "after" },
    );
    expect(Object.keys(modified ?? {})).toEqual(["_id", "a", "d"]);
  });
});
