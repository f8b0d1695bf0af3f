import { beforeAll, describe, expect, it } from "vitest";
import { rejection, useBackend } from "../testing.js";

const backend = useBackend("conformance_aggregation");

describe("counting, distinct and aggregation", () => {
  beforeAll(async () => {
    await backend.collection("orders").insertMany([
      { _id: 1, user: "u1", total: 10, items: ["a", "b"], status: "open" },
      { _id: 2, user: "u1", total: 5, items: ["b"], status: "closed" },
      { _id: 3, user: "u2", total: 7, items: [], status: "open" },
    ]);
    await backend.collection("users").insertMany([
      { _id: "u1", name: "Ann" },
      { _id: "u2", name: "Ben" },
    ]);
  });
  const orders = () => backend.collection("orders");

  it("when countDocuments has a filter, skip and limit then it counts matching documents", async () => {
    expect(await orders().countDocuments({ status: "open" })).toBe(2);
    expect(await orders().countDocuments({}, { skip: 1, limit: 1 })).toBe(1);
    expect(await orders().countDocuments({ status: "none" })).toBe(0);
    expect(await orders().countDocuments({ status: "open" }, { limit: 1 })).toBe(1);
    expect(await orders().countDocuments({ status: "open" }, { skip: 1, limit: 5 })).toBe(1);
    expect(await orders().countDocuments({ status: "open" }, { skip: 5 })).toBe(0);
  });

  it("when $group has a constant key and constant sums then it counts, and yields nothing for no input", async () => {
    const group = { $group: { _id: null, n: { $sum: 1 }, twice: { $sum: 2 } } };
    expect(
      await orders()
        .aggregate([{ $match: { status: "open" } }, group])
        .toArray(),
    ).toEqual([{ _id: null, n: 2, twice: 4 }]);
    expect(
      await orders()
        .aggregate([{ $match: { status: "none" } }, group])
        .toArray(),
    ).toEqual([]);
    expect(
      await orders()
        .aggregate([{ $group: { _id: "all", n: { $sum: 1 } } }])
        .toArray(),
    ).toEqual([{ _id: "all", n: 3 }]);
  });

  it("when estimatedDocumentCount is called then it returns the collection size", async () => {
    expect(await orders().estimatedDocumentCount()).toBe(3);
    expect(await backend.collection("absent").estimatedDocumentCount()).toBe(0);
  });

  it("when distinct reaches arrays then it returns each element once", async () => {
    expect((await orders().distinct("items")).sort()).toEqual(["a", "b"]);
    expect((await orders().distinct("user", { total: { $gt: 6 } })).sort()).toEqual(["u1", "u2"]);
  });

  it("when a pipeline matches, groups, sorts and projects then results follow the stages", async () => {
    const result = await orders()
      .aggregate([
        { $match: { total: { $gte: 5 } } },
        { $group: { _id: "$user", sum: { $sum: "$total" }, n: { $sum: 1 } } },
        { $sort: { sum: -1 } },
        { $project: { _id: 0, user: "$_id", sum: 1, n: 1 } },
      ])
      .toArray();
    expect(result).toEqual([
      { sum: 15, n: 2, user: "u1" },
      { sum: 7, n: 1, user: "u2" },
    ]);
  });

  it("when $unwind, $skip, $limit and $count are used then they apply in order", async () => {
    const unwound = await orders()
      .aggregate([{ $unwind: "$items" }, { $sort: { _id: 1, items: 1 } }, { $skip: 1 }, { $limit: 5 }])
      .toArray();
    expect(unwound.map((doc) => [doc._id, doc.items])).toEqual([
      [1, "b"],
      [2, "b"],
    ]);
    expect(
      await orders()
        .aggregate([{ $match: { status: "open" } }, { $count: "open" }])
        .toArray(),
    ).toEqual([{ open: 2 }]);
  });

  it("when $facet runs sub-pipelines then each facet gets its own results", async () => {
    const [facets] = await orders()
      .aggregate([
        {
          $facet: { total: [{ $count: "n" }], page: [{ $sort: { _id: 1 } }, { $limit: 2 }, { $project: { _id: 1 } }] },
        },
      ])
      .toArray();
    expect(facets).toEqual({ total: [{ n: 3 }], page: [{ _id: 1 }, { _id: 2 }] });
  });

  it("when $lookup joins another collection then matching documents are attached", async () => {
    const joined = await orders()
      .aggregate([
        { $match: { _id: 3 } },
        { $lookup: { from: "users", localField: "user", foreignField: "_id", as: "owner" } },
      ])
      .toArray();
    expect(joined[0]?.owner).toEqual([{ _id: "u2", name: "Ben" }]);
  });

  it("when a pipeline names an unknown stage then the command fails", async () => {
    const error = await rejection(
      orders()
        .aggregate([{ $frobnicate: {} }])
        .toArray(),
    );
    expect(error.code).toBe(40324);
  });

  it("when a pipeline names a stage mongod has and the double lacks ($listLocalSessions) then it is refused with 115, not called unknown", async () => {
    const error = await rejection(backend.db.aggregate([{ $listLocalSessions: {} }]).toArray());
    expect(error.code).toBe(115);
    expect(error.message).toBe("$listLocalSessions is not supported by the MongoDB double");
  });
});
