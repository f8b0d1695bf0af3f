import { describe, expect, it } from "vitest";
import { mapWritesDuring } from "../testing.js";
import { createCachedPatStore } from "./pat-cache.js";
import type { PatRecord, PatStore } from "./pat-store.js";
import { createUserAccessCopy } from "./user-access-copy.js";

const unused = () => Promise.reject(new Error("not used by the cache"));

/** A cache over a fake PAT store whose records and reads the test controls, trusted through a copy on a clock it sets. */
function setup(options: { maxTokens?: number } = {}) {
  const records = new Map<string, PatRecord>();
  const reads: string[] = [];
  const touches: { id: string; at: Date }[] = [];
  let gate: Promise<void> | undefined;
  const store: PatStore = {
    insertWithinCap: unused,
    countForUser: unused,
    listForUser: unused,
    update: unused,
    delete: unused,
    deleteAllForUser: unused,
    changeEntryIds: unused,
    keepsChangeEntry: unused,
    exists: unused,
    holdsTokenCreatedBy: unused,
    async findBySecretHash(hash) {
      reads.push(hash);
      const found = records.get(hash);
      await gate;
      return found;
    },
    async touch(id, at) {
      touches.push({ id, at });
    },
  };
  const clock = { now: 1_000 };
  const copy = createUserAccessCopy({ fetch: async () => undefined, maxUsers: 10, feeds: 1, now: () => clock.now });
  const cache = createCachedPatStore(store, copy, {
    maxTokens: options.maxTokens ?? 100,
    maxAgeMs: 60_000,
    now: () => clock.now,
  });
  const pat = (hash: string, userId = "u1", changes: Partial<PatRecord> = {}) => {
    const record: PatRecord = {
      id: `pat_${hash}`,
      userId,
      name: hash,
      secretHash: hash,
      hint: "x",
      scopes: [],
      createTime: new Date(0),
      expireTime: undefined,
      lastUseTime: undefined,
      ...changes,
    };
    records.set(hash, record);
    return record;
  };
  const live = (leaseMs = 5_000) => {
    copy.subscribed(0, "sub");
    copy.leaseConfirmed(0, "sub", clock.now, leaseMs);
  };
  return {
    cache,
    copy,
    records,
    reads,
    touches,
    clock,
    pat,
    live,
    hold: (until: Promise<void> | undefined) => (gate = until),
  };
}

describe("createCachedPatStore", () => {
  it("when the feed is live then a PAT read once is answered from the cache", async () => {
    const { cache, reads, pat, live } = setup();
    pat("h1");
    live();
    expect((await cache.findBySecretHash("h1"))?.id).toBe("pat_h1");
    expect((await cache.findBySecretHash("h1"))?.id).toBe("pat_h1");
    expect(reads).toEqual(["h1"]);
  });

  it("when no feed is subscribed then every lookup reads the database and nothing is kept", async () => {
    const { cache, reads, pat } = setup();
    pat("h1");
    await cache.findBySecretHash("h1");
    await cache.findBySecretHash("h1");
    expect(reads).toEqual(["h1", "h1"]);
  });

  it("when the lease has run out then lookups read the database again (fail closed)", async () => {
    const { cache, records, reads, pat, live, clock } = setup();
    pat("h1");
    live(5_000);
    await cache.findBySecretHash("h1");
    records.delete("h1");
    clock.now += 5_000;
    expect(await cache.findBySecretHash("h1")).toBeUndefined();
    expect(reads).toEqual(["h1", "h1"]);
  });

  it("when the feed names the user then that user's PATs are dropped and other users' kept", async () => {
    const { cache, copy, records, reads, pat, live } = setup();
    pat("h1", "u1");
    pat("h2", "u1");
    pat("h3", "u2");
    live();
    for (const hash of ["h1", "h2", "h3"]) await cache.findBySecretHash(hash);
    records.delete("h1");
    copy.changed("u1");
    expect(await cache.findBySecretHash("h1")).toBeUndefined();
    expect((await cache.findBySecretHash("h2"))?.id).toBe("pat_h2");
    expect((await cache.findBySecretHash("h3"))?.id).toBe("pat_h3");
    expect(reads).toEqual(["h1", "h2", "h3", "h1", "h2"]);
  });

  it("when the feed is lost or resubscribes then nothing held is answered", async () => {
    const { cache, copy, reads, pat, live } = setup();
    pat("h1");
    live();
    await cache.findBySecretHash("h1");
    copy.lost(0);
    live();
    await cache.findBySecretHash("h1");
    expect(reads).toEqual(["h1", "h1"]);
  });

  it("when a read overlapped a change of its user then its answer is not kept", async () => {
    const { cache, copy, reads, pat, live, hold } = setup();
    pat("h1");
    live();
    let release = () => {};
    hold(new Promise<void>((resolve) => (release = resolve)));
    const reading = cache.findBySecretHash("h1");
    copy.changed("u1");
    release();
    hold(undefined);
    expect((await reading)?.id).toBe("pat_h1");
    await cache.findBySecretHash("h1");
    expect(reads).toEqual(["h1", "h1"]);
  });

  it("when a secret hash is unknown then the miss is never kept: a token created later is found", async () => {
    const { cache, reads, pat, live } = setup();
    live();
    expect(await cache.findBySecretHash("h1")).toBeUndefined();
    pat("h1");
    expect((await cache.findBySecretHash("h1"))?.id).toBe("pat_h1");
    expect(reads).toEqual(["h1", "h1"]);
  });

  it("when one PAT is used over and over then each answer only moves its entry, never deleting and storing it again", async () => {
    const { cache, reads, pat, live } = setup({ maxTokens: 100 });
    for (let i = 0; i < 50; i++) pat(`h${i}`);
    live();
    for (let i = 0; i < 50; i++) await cache.findBySecretHash(`h${i}`);
    const writes = await mapWritesDuring(async () => {
      for (let i = 0; i < 1_000; i++) expect((await cache.findBySecretHash("h7"))?.id).toBe("pat_h7");
    });
    expect(writes).toEqual({ deletes: 0, sets: 0 });
    expect(reads).toHaveLength(50);
  });

  it("when more PATs are read than it holds then the least recently used is dropped", async () => {
    const { cache, reads, pat, live } = setup({ maxTokens: 2 });
    for (const hash of ["h1", "h2", "h3"]) pat(hash);
    live();
    await cache.findBySecretHash("h1");
    await cache.findBySecretHash("h2");
    await cache.findBySecretHash("h1");
    await cache.findBySecretHash("h3");
    reads.length = 0;
    await cache.findBySecretHash("h1");
    await cache.findBySecretHash("h3");
    await cache.findBySecretHash("h2");
    expect(reads).toEqual(["h2"]);
  });

  it("when the size is 0 then nothing is kept", async () => {
    const { cache, reads, pat, live } = setup({ maxTokens: 0 });
    pat("h1");
    live();
    await cache.findBySecretHash("h1");
    await cache.findBySecretHash("h1");
    expect(reads).toEqual(["h1", "h1"]);
  });

  it("when a held record is a minute old then it is read again, though the feed is live", async () => {
    const { cache, records, reads, pat, live, clock } = setup();
    pat("h1");
    live(600_000);
    await cache.findBySecretHash("h1");
    clock.now += 59_999;
    await cache.findBySecretHash("h1");
    expect(reads).toEqual(["h1"]);
    records.delete("h1");
    clock.now += 1;
    expect(await cache.findBySecretHash("h1")).toBeUndefined();
    expect(reads).toEqual(["h1", "h1"]);
  });

  it("when a held PAT is touched then the held record carries the new last use time and the store is written", async () => {
    const { cache, touches, pat, live } = setup();
    pat("h1");
    live();
    await cache.findBySecretHash("h1");
    const at = new Date(120_000);
    await cache.touch("pat_h1", at, new Date(60_000));
    expect(touches).toEqual([{ id: "pat_h1", at }]);
    expect((await cache.findBySecretHash("h1"))?.lastUseTime).toEqual(at);
  });
});
