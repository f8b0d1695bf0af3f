import { describe, expect, it } from "vitest";
import { rejection, useBackend } from "../testing.js";

const backend = useBackend("conformance_bulk_write");

describe("bulkWrite", () => {
  it("when a bulkWrite mixes operations then each kind is counted", async () => {
    const items = backend.collection("mixed");
    const result = await items.bulkWrite([
      { insertOne: { document: { _id: 1, v: 1 } } },
      { insertOne: { document: { _id: 2, v: 2 } } },
      { updateOne: { filter: { _id: 1 }, update: { $set: { v: 10 } } } },
      { updateMany: { filter: {}, update: { $inc: { v: 1 } } } },
      { replaceOne: { filter: { _id: 2 }, replacement: { v: 20 } } },
      { updateOne: { filter: { _id: 3 }, update: { $set: { v: 3 } }, upsert: true } },
      { deleteOne: { filter: { _id: 1 } } },
    ]);
    expect(result.insertedCount).toBe(2);
    expect(result.matchedCount).toBe(4);
    expect(result.modifiedCount).toBe(4);
    expect(result.upsertedCount).toBe(1);
    expect(result.deletedCount).toBe(1);
    expect(await items.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 2, v: 20 },
      { _id: 3, v: 3 },
    ]);
  });

  it("when an ordered bulkWrite fails then later operations do not run", async () => {
    const items = backend.collection("ordered");
    const error = await rejection(
      items.bulkWrite([
        { insertOne: { document: { _id: 1 } } },
        { insertOne: { document: { _id: 1 } } },
        { insertOne: { document: { _id: 2 } } },
      ]),
    );
    expect((error.writeErrors as Array<{ index: number }>)[0]?.index).toBe(1);
    expect(await items.countDocuments()).toBe(1);
  });

  it("when an unordered bulkWrite fails then the other operations still run", async () => {
    const items = backend.collection("unordered");
    const error = await rejection(
      items.bulkWrite(
        [
          { insertOne: { document: { _id: 1 } } },
          { insertOne: { document: { _id: 1 } } },
          { insertOne: { document: { _id: 2 } } },
        ],
        { ordered: false },
      ),
    );
    expect((error.writeErrors as Array<{ index: number; code: number }>).map((e) => [e.index, e.code])).toEqual([
      [1, 11000],
    ]);
    expect(await items.countDocuments()).toBe(2);
  });
});
