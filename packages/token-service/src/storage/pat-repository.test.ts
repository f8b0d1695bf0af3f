import { Collection, MongoServerError, type Db } from "mongodb";
import { ensureIndexes } from "@roster/runtime";
import { isDomainError } from "@roster/runtime/domain-error";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { PatRecord } from "../domain/pat-store.js";
import { useTestMongo } from "../testing.js";
import { patCollection, tokenServiceIndexes } from "./indexes.js";
import { createPatRepository, rememberedUsers, slotSurvey } from "./pat-repository.js";

const mongo = useTestMongo();
let db: Db;
let serial = 0;

beforeEach(() => {
  db = mongo.db;
});

function record(userId: string): PatRecord {
  serial += 1;
  return {
    id: `pat_${serial}`,
    userId,
    name: `t${serial}`,
    secretHash: `hash${serial}`,
    hint: "",
    scopes: [],
    createTime: new Date(),
    expireTime: undefined,
    lastUseTime: undefined,
  };
}

/** The stored documents, typed as far as these tests look into them. */
const tokens = () => db.collection<{ _id: string; userId: string; slot?: number }>(patCollection);

const slotsOf = async (userId: string) =>
  (await tokens().find({ userId }).toArray()).map((doc) => doc.slot ?? -1).sort((a, b) => a - b);

/** A token as stored before slots existed. */
const legacy = (userId: string) => {
  const { id, ...rest } = record(userId);
  return { _id: id, ...rest, expireTime: null, lastUseTime: null };
};

describe("PAT repository: the per-user cap", () => {
  it("when 30 inserts from three instances race against a cap of 10 then exactly 10 are stored, each in its own slot, and the index refuses a second token in a slot", async () => {
    const instances = [createPatRepository(db), createPatRepository(db), createPatRepository(db)];
    const store = instances[0]!;
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => instances[i % 3]!.insertWithinCap(record("u1"), 10, "aud_test")),
    );
    expect(results.filter(Boolean)).toHaveLength(10);
    expect(await slotsOf("u1")).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await store.insertWithinCap(record("u2"), 10, "aud_test")).toBe(true);
    const { id, ...rest } = record("u1");
    const direct = await tokens()
      .insertOne({ _id: id, ...rest, slot: 4 })
      .catch((err: unknown) => err);
    expect(direct).toBeInstanceOf(MongoServerError);
    expect((direct as MongoServerError).code).toBe(11000);
  });

  it("when every instance remembers the user's slots then 30 racing creates from three instances still store exactly the cap", async () => {
    const instances = [createPatRepository(db), createPatRepository(db), createPatRepository(db)];
    // Each instance's first create reads the slots, so each remembers slots the others take next.
    for (const instance of instances) expect(await instance.insertWithinCap(record("u1"), 10, "aud_test")).toBe(true);
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => instances[i % 3]!.insertWithinCap(record("u1"), 10, "aud_test")),
    );
    expect(results.filter(Boolean)).toHaveLength(7);
    expect(await slotsOf("u1")).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("when 12,000 users have each created a token then the first one's next create still reads none of its slots", async () => {
    const store = createPatRepository(db);
    const users = Array.from({ length: 12_000 }, (_, i) => `many${i}`);
    expect(rememberedUsers).toBeGreaterThanOrEqual(users.length);
    for (let i = 0; i < users.length; i += 1_000)
      await Promise.all(
        users.slice(i, i + 1_000).map((userId) => store.insertWithinCap(record(userId), 5, "aud_test")),
      );
    const find = vi.spyOn(Collection.prototype, "find");
    try {
      expect(await store.insertWithinCap(record(users[0]!), 5, "aud_test")).toBe(true);
      expect(find).not.toHaveBeenCalled();
    } finally {
      find.mockRestore();
    }
    expect((await slotsOf(users[0]!)).length).toBe(2);
  }, 60_000);

  it("when a user's remembered slots show a free one that was taken meanwhile then the create reads afresh and finds the cap reached", async () => {
    const [store, other] = [createPatRepository(db), createPatRepository(db)];
    expect(await store.insertWithinCap(record("u1"), 2, "aud_test")).toBe(true);
    expect(await other.insertWithinCap(record("u1"), 2, "aud_test")).toBe(true);
    expect(await store.insertWithinCap(record("u1"), 2, "aud_test")).toBe(false);
    expect(await tokens().countDocuments({ userId: "u1" })).toBe(2);
  });

  it("when a token is deleted then its slot is free for the next create", async () => {
    const store = createPatRepository(db);
    const first = record("u1");
    await store.insertWithinCap(first, 2, "aud_test");
    await store.insertWithinCap(record("u1"), 2, "aud_test");
    expect(await store.insertWithinCap(record("u1"), 2, "aud_test")).toBe(false);
    await store.delete("u1", first.id);
    expect(await store.insertWithinCap(record("u1"), 2, "aud_test")).toBe(true);
    expect(await slotsOf("u1")).toEqual([0, 1]);
  });

  it("when tokens stored without a slot exist then the index still builds, they count against the cap and take slots first", async () => {
    await tokens().dropIndex("userId_slot_unique");
    await tokens().insertMany([legacy("u1"), legacy("u1"), legacy("u1")]);
    await ensureIndexes(db, tokenServiceIndexes);
    const store = createPatRepository(db);
    expect(await store.insertWithinCap(record("u1"), 4, "aud_test")).toBe(true);
    expect(await store.insertWithinCap(record("u1"), 4, "aud_test")).toBe(false);
    expect(await slotsOf("u1")).toEqual([0, 1, 2, 3]);
  });

  it("when more tokens without a slot exist than the cap then creation is refused and none is lost", async () => {
    await tokens().insertMany([legacy("u1"), legacy("u1"), legacy("u1")]);
    const store = createPatRepository(db);
    expect(await store.insertWithinCap(record("u1"), 2, "aud_test")).toBe(false);
    expect(await tokens().countDocuments({ userId: "u1" })).toBe(3);
  });

  it("when the cap is lowered below what a user holds then creates are refused until they hold fewer than the new cap", async () => {
    const store = createPatRepository(db);
    const other = createPatRepository(db);
    const held = Array.from({ length: 5 }, () => record("u1"));
    for (const r of held) await store.insertWithinCap(r, 10, "aud_test");
    expect(await store.insertWithinCap(record("u1"), 3, "aud_test")).toBe(false);
    for (const r of held.slice(0, 3)) await store.delete("u1", r.id);
    const racing = await Promise.all(
      Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? store : other).insertWithinCap(record("u1"), 3, "aud_test")),
    );
    expect(racing.filter(Boolean)).toHaveLength(1);
    expect(await slotsOf("u1")).toEqual([0, 1, 2]);
  });

  it("when every attempt loses its slot to another create then it stops after a bounded number of reads with ABORTED", async () => {
    let reads = 0;
    const real = db.collection(patCollection);
    const lost = new MongoServerError({
      message: "E11000 duplicate key error",
      code: 11000,
      keyPattern: { userId: 1, slot: 1 },
    });
    const contended = {
      collection: () => ({
        find: (...args: Parameters<typeof real.find>) => {
          reads += 1;
          return real.find(...args);
        },
        insertMany: () => Promise.reject(lost),
      }),
    } as unknown as Db;
    const err = await createPatRepository(contended)
      .insertWithinCap(record("u1"), 5, "aud_test")
      .catch((e: unknown) => e);
    expect(isDomainError(err) && `${err.kind}/${err.reason}`).toBe("aborted/TOKEN_CREATION_CONTENDED");
    expect(reads).toBe(10);
  });
});

describe("PAT repository: the cost of a create", () => {
  it("when a user's last create saw its slots then the next creates read none, and one that finds its slot taken reads once", async () => {
    let finds = 0;
    const real = db.collection(patCollection);
    const counted = {
      collection: () => ({
        find: (...args: Parameters<typeof real.find>) => {
          finds += 1;
          return real.find(...args);
        },
        insertMany: (...args: Parameters<typeof real.insertMany>) => real.insertMany(...args),
      }),
    } as unknown as Db;
    const [store, other] = [createPatRepository(counted), createPatRepository(db)];
    for (let i = 0; i < 5; i++) expect(await store.insertWithinCap(record("u1"), 100, "aud_test")).toBe(true);
    expect(finds).toBe(1);
    // Another instance takes every slot but one: the remembered free slot is most likely taken, and read again.
    for (let i = 0; i < 94; i++) expect(await other.insertWithinCap(record("u1"), 100, "aud_test")).toBe(true);
    expect(await store.insertWithinCap(record("u1"), 100, "aud_test")).toBe(true);
    expect(finds).toBeGreaterThanOrEqual(1);
    expect(finds).toBeLessThanOrEqual(2);
    expect(await store.insertWithinCap(record("u1"), 100, "aud_test")).toBe(false);
    expect(await slotsOf("u1")).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it("when other users hold 20,000 tokens then a create's slot read is an index scan examining only its user's keys", async () => {
    await ensureIndexes(db, tokenServiceIndexes);
    const store = createPatRepository(db);
    for (let batch = 0; batch < 4; batch++) {
      await tokens().insertMany(
        Array.from({ length: 5_000 }, (_, i) => ({
          ...legacy(`other${i % 1_000}`),
          slot: batch * 5 + Math.floor(i / 1_000),
        })),
      );
    }
    for (let i = 0; i < 3; i++) expect(await store.insertWithinCap(record("creator"), 100, "aud_test")).toBe(true);
    const { filter, projection } = slotSurvey(["creator"]);
    const explain = await tokens().find(filter, { projection }).explain("executionStats");
    expect(JSON.stringify(explain.queryPlanner.winningPlan)).toContain("IXSCAN");
    expect(JSON.stringify(explain.queryPlanner.winningPlan)).not.toContain("COLLSCAN");
    expect(explain.executionStats.nReturned).toBe(3);
    expect(explain.executionStats.totalKeysExamined).toBeLessThanOrEqual(4);
    expect(explain.executionStats.totalDocsExamined).toBe(3);
  });

  it("when creates for several users arrive together then one find reads all their slots, examining only their keys, and each stores its token", async () => {
    await ensureIndexes(db, tokenServiceIndexes);
    await tokens().insertMany(
      Array.from({ length: 2_000 }, (_, i) => ({ ...legacy(`other${i % 100}`), slot: Math.floor(i / 100) })),
    );
    const finds: unknown[] = [];
    const inserts: number[] = [];
    const real = db.collection(patCollection);
    const counted = {
      collection: () => ({
        find: (...args: Parameters<typeof real.find>) => {
          finds.push(args[0]);
          return real.find(...args);
        },
        insertMany: (...args: Parameters<typeof real.insertMany>) => {
          inserts.push(args[0].length);
          return real.insertMany(...args);
        },
      }),
    } as unknown as Db;
    const store = createPatRepository(counted);
    const creators = ["c1", "c2", "c3", "c4"];
    expect(await Promise.all(creators.map((userId) => store.insertWithinCap(record(userId), 100, "aud_test")))).toEqual(
      [true, true, true, true],
    );
    expect(finds).toEqual([{ userId: { $in: creators } }]);
    expect(inserts).toEqual([4]);
    for (const userId of creators) expect(await slotsOf(userId)).toHaveLength(1);
    const { filter, projection } = slotSurvey(creators);
    const explain = await tokens().find(filter, { projection }).explain("executionStats");
    expect(JSON.stringify(explain.queryPlanner.winningPlan)).toContain("IXSCAN");
    expect(explain.executionStats.nReturned).toBe(4);
    expect(explain.executionStats.totalDocsExamined).toBe(4);
  });
});

describe("PAT repository: change entries", () => {
  it("when tokens keep their creation entries' ids then one token's, or all of its user's, are read, and never another user's", async () => {
    const store = createPatRepository(db);
    const [first, second, others] = [record("u1"), record("u1"), record("u2")];
    await store.insertWithinCap(first, 10, "aud_1");
    await store.insertWithinCap(second, 10, "aud_2");
    await store.insertWithinCap(others, 10, "aud_3");
    await tokens().insertOne(legacy("u1"));
    expect(await store.changeEntryIds("u1", first.id)).toEqual(["aud_1"]);
    expect((await store.changeEntryIds("u1", undefined)).sort()).toEqual(["aud_1", "aud_2"]);
    expect(await store.changeEntryIds("u1", others.id)).toEqual([]);
    expect(await store.changeEntryIds("u2", undefined)).toEqual(["aud_3"]);
  });

  it("when a token is updated then it keeps the ids of its latest 20 updates' entries, after its creation's", async () => {
    const store = createPatRepository(db);
    const token = record("u7");
    await store.insertWithinCap(token, 10, "aud_c");
    for (let i = 0; i < 22; i++) await store.update("u7", token.id, { name: `n${i}` }, `aud_u${i}`);
    const kept = Array.from({ length: 20 }, (_, i) => `aud_u${i + 2}`);
    expect(await store.changeEntryIds("u7", token.id)).toEqual(["aud_c", ...kept]);
    expect(await store.keepsChangeEntry("u7", token.id, "aud_u21")).toBe(true);
    expect(await store.keepsChangeEntry("u7", token.id, "aud_u1")).toBe(false);
    expect(await store.keepsChangeEntry("u8", token.id, "aud_u21")).toBe(false);
  });
});

describe("PAT repository: tokens by creation time", () => {
  it("when asked whether a user holds a token created by a time then only that user's tokens created at or before it count", async () => {
    const store = createPatRepository(db);
    const first = { ...record("u1"), createTime: new Date(1_000) };
    await store.insertWithinCap(first, 10, "aud_1");
    await store.insertWithinCap({ ...record("u2"), createTime: new Date(500) }, 10, "aud_2");
    expect(await store.holdsTokenCreatedBy("u1", new Date(999))).toBe(false);
    expect(await store.holdsTokenCreatedBy("u1", new Date(1_000))).toBe(true);
    await store.delete("u1", first.id);
    expect(await store.holdsTokenCreatedBy("u1", new Date(2_000))).toBe(false);
  });
});
