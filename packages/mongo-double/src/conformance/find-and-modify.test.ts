import { describe, expect, it } from "vitest";
import { rejection, useBackend } from "../testing.js";

const backend = useBackend("conformance_find_and_modify");

describe("findAndModify", () => {
  it("when findOneAndUpdate returns before or after then the matching version is returned", async () => {
    const items = backend.collection("versions");
    await items.insertOne({ _id: 1, n: 1 });
    expect(await items.findOneAndUpdate({ _id: 1 }, { $inc: { n: 1 } })).toEqual({ _id: 1, n: 1 });
    expect(await items.findOneAndUpdate({ _id: 1 }, { $inc: { n: 1 } }, { returnDocument: "after" })).toEqual({
      _id: 1,
      n: 3,
    });
  });

  it("when findOneAndUpdate sorts and projects then it updates the first in order and returns the projection", async () => {
    const items = backend.collection("sorted");
    await items.insertMany([
      { _id: 1, p: 2 },
      { _id: 2, p: 9 },
      { _id: 3, p: 5 },
    ]);
    const doc = await items.findOneAndUpdate(
      {},
      { $set: { taken: true } },
      { sort: { p: -1 }, projection: { p: 1 }, returnDocument: "after" },
    );
    expect(doc).toEqual({ _id: 2, p: 9 });
    expect(await items.countDocuments({ taken: true })).toBe(1);
  });

  it("when findOneAndUpdate upserts then the new document is returned with the filter fields", async () => {
    const items = backend.collection("upserts");
    const result = await items.findOneAndUpdate(
      { key: "k" },
      { $set: { v: 1 } },
      { upsert: true, returnDocument: "after", includeResultMetadata: true },
    );
    expect(result.value).toMatchObject({ key: "k", v: 1 });
    expect(result.lastErrorObject).toMatchObject({ n: 1, updatedExisting: false });
    expect(await items.findOneAndUpdate({ key: "none" }, { $set: { v: 1 } })).toBeNull();
  });

  it("when findOneAndReplace and findOneAndDelete run then they replace and delete one document", async () => {
    const items = backend.collection("replace_delete");
    await items.insertMany([
      { _id: 1, a: 1 },
      { _id: 2, a: 2 },
    ]);
    expect(await items.findOneAndReplace({ _id: 1 }, { b: 1 }, { returnDocument: "after" })).toEqual({ _id: 1, b: 1 });
    expect(await items.findOneAndDelete({ a: 2 })).toEqual({ _id: 2, a: 2 });
    expect(await items.countDocuments()).toBe(1);
  });

  it("when findAndModify fails then the error is reported at top level", async () => {
    const items = backend.collection("errors");
    await items.insertOne({ _id: 1, s: "x" });
    const error = await rejection(items.findOneAndUpdate({ _id: 1 }, { $inc: { s: 1 } }));
    expect(error.code).toBe(14);
  });
});
