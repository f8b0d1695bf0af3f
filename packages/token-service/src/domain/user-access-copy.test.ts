import { describe, expect, it } from "vitest";
import { mapWritesDuring } from "../testing.js";
import { createUserAccessCopy } from "./user-access-copy.js";
import type { UserAccess } from "./user-directory.js";

/** A copy over a fake user-service whose answers and calls the test controls, on a clock it sets. */
function setup(options: { maxUsers?: number; feeds?: number } = {}) {
  const directory = new Map<string, UserAccess>();
  const fetched: string[] = [];
  let gate: Promise<void> | undefined;
  const clock = { now: 1_000 };
  const copy = createUserAccessCopy({
    fetch: async (userId) => {
      fetched.push(userId);
      const answer = directory.get(userId);
      await gate;
      return answer;
    },
    maxUsers: options.maxUsers ?? 100,
    feeds: options.feeds ?? 1,
    now: () => clock.now,
  });
  const user = (id: string, changes: Partial<UserAccess> = {}) =>
    directory.set(id, { id, username: id, suspended: false, tokenEpoch: 0, permissions: ["orders:read"], ...changes });
  const live = (feed = 0, leaseMs = 5_000) => {
    copy.subscribed(feed, `sub-${feed}`);
    copy.leaseConfirmed(feed, `sub-${feed}`, clock.now, leaseMs);
  };
  return { copy, directory, fetched, clock, user, live, hold: (until: Promise<void>) => (gate = until) };
}

describe("createUserAccessCopy", () => {
  it("when no feed has subscribed then every call asks user-service and nothing is kept", async () => {
    const { copy, fetched, user } = setup();
    user("u1");
    await copy.accessOf("u1");
    await copy.accessOf("u1");
    expect(fetched).toEqual(["u1", "u1"]);
    expect(copy.size).toBe(0);
  });

  it("when the feed is subscribed with a lease then a user asked for once is answered from the copy", async () => {
    const { copy, fetched, user, live } = setup();
    user("u1");
    live();
    expect((await copy.accessOf("u1"))?.permissions).toEqual(["orders:read"]);
    expect((await copy.accessOf("u1"))?.permissions).toEqual(["orders:read"]);
    expect(fetched).toEqual(["u1"]);
  });

  it("when the lease runs out then calls go to user-service again until a new lease is confirmed", async () => {
    const { copy, fetched, user, live, clock } = setup();
    user("u1");
    live(0, 5_000);
    await copy.accessOf("u1");
    clock.now += 4_999;
    await copy.accessOf("u1");
    expect(fetched).toEqual(["u1"]);
    clock.now += 1;
    expect(copy.trusted).toBe(false);
    await copy.accessOf("u1");
    expect(fetched).toEqual(["u1", "u1"]);
  });

  it("when a lease is confirmed late then it runs from when it was asked for, not from the confirmation", () => {
    const { copy, clock } = setup();
    copy.subscribed(0, "sub-0");
    const sentAt = clock.now;
    clock.now += 3_000;
    copy.leaseConfirmed(0, "sub-0", sentAt, 5_000);
    clock.now = sentAt + 4_999;
    expect(copy.trusted).toBe(true);
    clock.now = sentAt + 5_000;
    expect(copy.trusted).toBe(false);
  });

  it("when a lease is confirmed for a subscription that is no longer the current one then it is ignored", () => {
    const { copy, clock } = setup();
    copy.subscribed(0, "old");
    copy.lost(0);
    copy.subscribed(0, "new");
    copy.leaseConfirmed(0, "old", clock.now, 5_000);
    expect(copy.trusted).toBe(false);
  });

  it("when a user's change arrives then the next call reads the user anew and sees the suspension", async () => {
    const { copy, fetched, user, live } = setup();
    user("u1");
    live();
    await copy.accessOf("u1");
    user("u1", { suspended: true, tokenEpoch: 1 });
    copy.changed("u1");
    expect(await copy.accessOf("u1")).toMatchObject({ suspended: true, tokenEpoch: 1 });
    expect(fetched).toEqual(["u1", "u1"]);
  });

  it("when a change for every user arrives then no user is answered from the copy", async () => {
    const { copy, fetched, user, live } = setup();
    user("u1");
    user("u2");
    live();
    await copy.accessOf("u1");
    await copy.accessOf("u2");
    copy.changed(undefined);
    expect(copy.size).toBe(0);
    await copy.accessOf("u1");
    expect(fetched).toEqual(["u1", "u2", "u1"]);
  });

  it("when a change arrives while a user is being fetched then that answer is returned but not kept", async () => {
    const { copy, fetched, user, live, hold } = setup();
    user("u1");
    live();
    let release = () => {};
    hold(new Promise<void>((resolve) => (release = resolve)));
    const pending = copy.accessOf("u1");
    // The answer was read before the suspension committed; the change reaches the copy before the answer does.
    user("u1", { suspended: true });
    copy.changed("u1");
    release();
    expect((await pending)?.suspended).toBe(false);
    hold(Promise.resolve());
    expect((await copy.accessOf("u1"))?.suspended).toBe(true);
    expect(fetched).toEqual(["u1", "u1"]);
  });

  it("when the feed resubscribes while a user is being fetched then that answer is not kept", async () => {
    const { copy, user, live, hold } = setup();
    user("u1");
    live();
    let release = () => {};
    hold(new Promise<void>((resolve) => (release = resolve)));
    const pending = copy.accessOf("u1");
    copy.lost(0);
    live();
    release();
    await pending;
    expect(copy.size).toBe(0);
  });

  it("when the feed is lost then the copy is emptied and not trusted", async () => {
    const { copy, fetched, user, live } = setup();
    user("u1");
    live();
    await copy.accessOf("u1");
    copy.lost(0);
    expect(copy.trusted).toBe(false);
    expect(copy.size).toBe(0);
    await copy.accessOf("u1");
    expect(fetched).toEqual(["u1", "u1"]);
  });

  it("when one of two feeds has no lease then the copy is not trusted", async () => {
    const { copy, fetched, user, live } = setup({ feeds: 2 });
    user("u1");
    live(0);
    copy.subscribed(1, "sub-1");
    await copy.accessOf("u1");
    await copy.accessOf("u1");
    expect(copy.trusted).toBe(false);
    expect(fetched).toEqual(["u1", "u1"]);
    copy.leaseConfirmed(1, "sub-1", 1_000, 5_000);
    await copy.accessOf("u1");
    expect(fetched).toEqual(["u1", "u1"]);
  });

  it("when there are no feeds (turned off) then nothing is kept or trusted", async () => {
    const { copy, fetched, user } = setup({ feeds: 0 });
    user("u1");
    await copy.accessOf("u1");
    await copy.accessOf("u1");
    expect(copy.trusted).toBe(false);
    expect(fetched).toEqual(["u1", "u1"]);
  });

  it("when a user does not exist then the absence is not kept, so a user created later is found", async () => {
    const { copy, fetched, user, live } = setup();
    live();
    expect(await copy.accessOf("u9")).toBeUndefined();
    user("u9");
    expect((await copy.accessOf("u9"))?.id).toBe("u9");
    expect(fetched).toEqual(["u9", "u9"]);
  });

  it("when one user is asked for over and over then each answer only moves its entry, never deleting and storing it again", async () => {
    const { copy, fetched, user, live } = setup({ maxUsers: 100 });
    for (let i = 0; i < 50; i++) user(`u${i}`);
    live();
    for (let i = 0; i < 50; i++) await copy.accessOf(`u${i}`);
    const writes = await mapWritesDuring(async () => {
      for (let i = 0; i < 1_000; i++) expect((await copy.accessOf("u7"))?.id).toBe("u7");
    });
    expect(writes).toEqual({ deletes: 0, sets: 0 });
    expect(fetched).toHaveLength(50);
  });

  it("when more users are asked for than the bound then the least recently used one goes", async () => {
    const { copy, fetched, user, live } = setup({ maxUsers: 2 });
    for (const id of ["a", "b", "c"]) user(id);
    live();
    await copy.accessOf("a");
    await copy.accessOf("b");
    await copy.accessOf("a");
    await copy.accessOf("c");
    expect(copy.size).toBe(2);
    fetched.length = 0;
    await copy.accessOf("a");
    await copy.accessOf("c");
    await copy.accessOf("b");
    expect(fetched).toEqual(["b"]);
  });
});
