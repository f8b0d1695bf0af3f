import { ensureIndexes } from "@roster/runtime";
import { useBackend } from "@roster/mongo-double/testing";
import { describe, expect, it } from "vitest";
import { explainedReads, stagesOf } from "../testing.js";
import { userServiceIndexes } from "./indexes.js";
import { backfillSearchFields } from "./search-backfill.js";
import type { UserDocument } from "./user-document.js";
import { usersCollection } from "./user-repository.js";

const testDb = useBackend("search_backfill");

describe("backfillSearchFields", () => {
  it("when users were stored without search keys then they get keys and trigrams once, and keyed users are left alone", async () => {
    const users = testDb.db.collection<Partial<UserDocument>>(usersCollection);
    await users.insertMany([
      { _id: "old", username: "Old", usernameKey: "old", name: "Grace Hopper", nameKey: "grace hopper", grams: [] },
      { _id: "new", username: "New", usernameKey: "new", grams: ["kept"], searchKeys: ["kept"] },
    ]);
    expect(await backfillSearchFields(testDb.db)).toBe(1);
    expect(await users.findOne({ _id: "old" })).toMatchObject({
      searchKeys: ["old", "grace hopper", "hopper"],
      grams: expect.arrayContaining(["hop", "old"]),
    });
    expect(await users.findOne({ _id: "new" })).toMatchObject({ searchKeys: ["kept"], grams: ["kept"] });
    expect(await backfillSearchFields(testDb.db)).toBe(0);
  });

  it("when nearly every user has its search keys then the backfill reads only the others, through the search keys index", async () => {
    const users = testDb.db.collection<Partial<UserDocument>>(usersCollection);
    await users.deleteMany({});
    await ensureIndexes(testDb.db, userServiceIndexes(90));
    await users.insertMany(
      Array.from({ length: 200 }, (_, i) => ({
        _id: `u${i}`,
        username: `U${i}`,
        usernameKey: `u${i}`,
        searchKeys: [`u${i}`],
      })),
    );
    await users.insertMany([
      { _id: "old1", username: "Old1", usernameKey: "old1" },
      { _id: "old2", username: "Old2", usernameKey: "old2" },
    ]);
    const [explained, ...others] = await explainedReads(testDb, usersCollection, async () => {
      expect(await backfillSearchFields(testDb.db)).toBe(2);
    });
    expect(others).toHaveLength(0);
    // Run at every start: on a large collection a scan of every user would hold each start up.
    expect(stagesOf(explained?.queryPlanner.winningPlan)).toEqual(["FETCH", "IXSCAN search_keys"]);
    expect(explained?.executionStats).toMatchObject({ nReturned: 0, totalDocsExamined: 0 });
  });
});
