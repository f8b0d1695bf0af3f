import type { Logger } from "@roster/runtime";
import { describe, expect, it, vi } from "vitest";
import { startAccessPreload } from "./access-preload.js";
import { createUserAccessCopy } from "./user-access-copy.js";
import type { UserAccess } from "./user-directory.js";

const access = (id: string, changes: Partial<UserAccess> = {}): UserAccess => ({
  id,
  username: id,
  suspended: false,
  tokenEpoch: 0,
  permissions: ["orders:read"],
  ...changes,
});

/**
 * A copy over a fake user-service of `users` users, listed `pageSize` at a time; `gate`, when set,
 * holds each page until the test lets it go. Waits are recorded and last one turn.
 */
function setup(options: { users: number; pageSize?: number; maxUsers?: number }) {
  const pageSize = options.pageSize ?? 10;
  const directory = Array.from({ length: options.users }, (_, i) => access(`u${String(i).padStart(4, "0")}`));
  const fetched: string[] = [];
  const copy = createUserAccessCopy({
    fetch: async (userId) => {
      fetched.push(userId);
      return directory.find((user) => user.id === userId);
    },
    maxUsers: options.maxUsers ?? 1_000,
    feeds: 1,
    now: () => 1_000,
  });
  const reads: string[] = [];
  const control: { gate?: Promise<void>; fail?: boolean } = {};
  const waits: number[] = [];
  const logger = { info: vi.fn(), warn: vi.fn() };
  const preload = startAccessPreload({
    copy,
    logger: logger as unknown as Logger,
    // Recorded, and over at the next turn rather than after the time asked for.
    sleep: (ms) => {
      waits.push(ms);
      return new Promise((resolve) => setImmediate(resolve));
    },
    list: async (pageToken) => {
      reads.push(pageToken);
      const from = pageToken === "" ? 0 : Number(pageToken);
      // Read now, as user-service does when the call arrives; delivered when the gate opens.
      const accesses = directory.slice(from, from + pageSize).map((user) => ({ ...user }));
      await control.gate;
      if (control.fail) throw new Error("user-service unavailable");
      const next = from + pageSize < directory.length ? String(from + pageSize) : "";
      return { accesses, nextPageToken: next };
    },
  });
  let subscription = 0;
  const subscribe = () => {
    subscription += 1;
    copy.subscribed(0, `sub-${subscription}`);
    copy.leaseConfirmed(0, `sub-${subscription}`, 1_000, 5_000);
  };
  return { copy, directory, fetched, reads, waits, control, preload, subscribe, logger };
}

/** Lets the preload run until it has nothing left to do. */
const settle = async () => {
  for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe("startAccessPreload", () => {
  it("when the feed subscribes then every user's access is read into the copy, a page at a time, and answered without a round trip", async () => {
    const { copy, fetched, reads, subscribe, logger } = setup({ users: 25 });
    subscribe();
    await settle();
    expect(reads).toEqual(["", "10", "20"]);
    expect(copy.size).toBe(25);
    expect(logger.info).toHaveBeenCalledWith(
      expect.objectContaining({ users: 25, pages: 3 }),
      "access copy: loaded every user's access it can hold",
    );
    expect(await copy.accessOf("u0017")).toMatchObject({ id: "u0017", permissions: ["orders:read"] });
    expect(fetched).toEqual([]);
  });

  it("when a user's access changes while its page is read then the page is read again and the old access is never answered", async () => {
    const { copy, directory, fetched, reads, waits, control, subscribe } = setup({ users: 5 });
    let release: () => void = () => {};
    control.gate = new Promise<void>((resolve) => (release = resolve));
    subscribe();
    await settle();
    expect(reads).toEqual([""]);
    // The page left user-service before the suspension; the feed delivers it while the page is on its way.
    directory[2] = access("u0002", { suspended: true });
    copy.changed("u0002");
    control.gate = undefined;
    release();
    await settle();
    expect(reads).toEqual(["", ""]);
    expect(waits).toHaveLength(1);
    expect(await copy.accessOf("u0002")).toMatchObject({ suspended: true });
    expect(fetched).toEqual([]);
  });

  it("when a page is on its way as the feed is lost then nothing is kept and the load stops until it subscribes again", async () => {
    const { copy, reads, control, subscribe } = setup({ users: 25 });
    let release: () => void = () => {};
    control.gate = new Promise<void>((resolve) => (release = resolve));
    subscribe();
    await settle();
    copy.lost(0);
    control.gate = undefined;
    release();
    await settle();
    expect(copy.size).toBe(0);
    expect(reads).toEqual([""]);

    subscribe();
    await settle();
    expect(reads).toEqual(["", "", "10", "20"]);
    expect(copy.size).toBe(25);
  });

  it("when a role's permissions change (every user) then the emptied copy is loaded again from the first page", async () => {
    const { copy, reads, subscribe } = setup({ users: 15 });
    subscribe();
    await settle();
    copy.changed(undefined);
    expect(copy.size).toBe(0);
    await settle();
    expect(reads).toEqual(["", "10", "", "10"]);
    expect(copy.size).toBe(15);
  });

  it("when every user's access changes again and again while a load is under way then each new load waits longer before it reads", async () => {
    const { copy, reads, waits, control, subscribe } = setup({ users: 15 });
    let release: () => void = () => {};
    control.gate = new Promise<void>((resolve) => (release = resolve));
    subscribe();
    await settle();
    for (let i = 0; i < 3; i++) {
      copy.changed(undefined);
      await settle();
    }
    // Each load was cut short before its first page came back: the next waited 0.5–1 s, 1–2 s, 2–4 s.
    expect(waits).toHaveLength(3);
    for (const [attempt, ms] of waits.entries()) {
      expect(ms).toBeGreaterThanOrEqual(500 * 2 ** attempt);
      expect(ms).toBeLessThanOrEqual(1_000 * 2 ** attempt);
    }
    expect(reads).toEqual(["", "", "", ""]);
    control.gate = undefined;
    release();
    await settle();
    expect(copy.size).toBe(15);
    // A load that finished lets the next one start at once.
    copy.changed(undefined);
    await settle();
    expect(waits).toHaveLength(3);
    expect(copy.size).toBe(15);
  });

  it("when the copy is full then no further page is read, and users it holds are not evicted for the listing", async () => {
    const { copy, reads, subscribe } = setup({ users: 50, maxUsers: 25 });
    subscribe();
    await settle();
    expect(reads).toEqual(["", "10", "20"]);
    expect(copy.size).toBe(25);
  });

  it("when user-service fails then the page is read again after waits that grow, and the copy answers through user-service meanwhile", async () => {
    const { copy, fetched, reads, waits, control, subscribe, logger } = setup({ users: 5 });
    control.fail = true;
    subscribe();
    await settle();
    expect(reads.length).toBeGreaterThan(3);
    for (const [attempt, ms] of waits.slice(0, 3).entries()) {
      expect(ms).toBeGreaterThanOrEqual(500 * 2 ** attempt);
      expect(ms).toBeLessThanOrEqual(1_000 * 2 ** attempt);
    }
    expect(await copy.accessOf("u0001")).toMatchObject({ id: "u0001" });
    expect(fetched).toEqual(["u0001"]);
    expect(logger.warn).toHaveBeenCalled();
    control.fail = false;
    await settle();
    expect(copy.size).toBe(5);
  });

  it("when stopped then no further page is read", async () => {
    const { reads, preload, subscribe } = setup({ users: 25 });
    preload.stop();
    subscribe();
    await settle();
    expect(reads).toEqual([]);
  });
});
