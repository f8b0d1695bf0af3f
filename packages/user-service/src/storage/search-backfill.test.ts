import { describe, expect, it } from "vitest";
import { useBackend } from "@roster/mongo-double/testing";
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
});
