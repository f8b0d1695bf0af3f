import { beforeAll, describe, expect, it } from "vitest";
import { UserLogEvent, UserLogResult } from "@roster/client/contract";
import { invalidField } from "@roster/runtime/domain-error";
import { createCredentialThrottle, createLogger, ensureIndexes } from "@roster/runtime";
import { isDomainError } from "@roster/runtime/domain-error";
import { userServiceIndexes } from "../storage/indexes.js";
import { createTokenCleanupRepository, type TokenCleanupRepository } from "../storage/token-cleanup-repository.js";
import { createUserLogRepository } from "../storage/user-log-repository.js";
import { createUserRepository } from "../storage/user-repository.js";
import { useBackend } from "@roster/mongo-double/testing";
import { createIdentities, type Identities } from "./identities.js";
import { createPasswordChanges, type PasswordChanges } from "./password-changes.js";
import { createPasswordCredentials } from "./password-credentials.js";
import { createPasswordHasher } from "./password-hashes.js";
import { createPasswordSignIn, type PasswordSignIn } from "./password-sign-in.js";
import { createPendingLogMover, pendingLog } from "./pending-logs.js";
import { createTokenCleanupWorker } from "./token-cleanup.js";
import { createUserLogBook, type UserLogBook, type UserLogStore } from "./user-logs.js";
import type { UserStore } from "./user-store.js";
import type { UserDocument } from "../storage/user-document.js";
import { createUsers, type Users } from "./users.js";
import { userInput as input } from "../testing.js";

const origin = { address: "10.0.0.1", method: "roster.user.v1.UserService/ConsumePasswordResetCode" };
const unlimited = createCredentialThrottle("reset_code", { perAddress: 0, perTarget: 0 }, { record: () => undefined });

const testDb = useBackend("users_it");
let users: Users;
let signIn: PasswordSignIn & PasswordChanges;
let identities: Identities;
let logs: UserLogBook;
let cleanups: TokenCleanupRepository;
let store: UserStore;
let clock = new Date("2030-01-01T00:00:00Z");
const now = () => clock;

async function failure(fn: () => Promise<unknown>): Promise<{ reason: string; field?: string }> {
  try {
    await fn();
  } catch (err) {
    if (isDomainError(err)) return { reason: err.reason, field: err.fieldViolations[0]?.field };
    throw err;
  }
  throw new Error("expected a failure");
}

beforeAll(async () => {
  const { db } = testDb;
  await ensureIndexes(db, userServiceIndexes(90));
  store = createUserRepository(db, { lookupTimeoutMs: 5_000 });
  logs = createUserLogBook(createUserLogRepository(db), 50);
  cleanups = createTokenCleanupRepository(db);
  const hasher = createPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
  const credentials = createPasswordCredentials({ hasher, policy: { minLength: 8, maxLength: 64 } });
  const limits = { maxBytes: 1024, maxDepth: 4 };
  const appendLog = logs.append;
  const pendingLogs = createPendingLogMover({
    store,
    appendLogs: logs.appendMany,
    logger: createLogger("test", "fatal"),
  });
  users = createUsers({
    store,
    pendingLogs,
    credentials,
    customDataLimits: limits,
    tokenCleanup: cleanups,
    now,
  });
  signIn = {
    ...createPasswordSignIn({
      users,
      store,
      hasher,
      appendLog,
      pendingLogs,
      lockout: { threshold: 3, windowMs: 60_000, durationMs: 300_000 },
      now,
    }),
    ...createPasswordChanges({
      users,
      store,
      credentials,
      appendLog,
      pendingLogs,
      resetCodeTtlMs: 3_600_000,
      resetThrottle: unlimited,
      now,
    }),
  };
  identities = createIdentities({ users, store, pendingLogs, limits, now });
}, 30_000);

/** Resolves once the clock has moved past `ms`: log times have millisecond resolution, and a watch includes its first millisecond. */
async function clockPast(ms: number): Promise<void> {
  while (Date.now() <= ms) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * A log book whose storage holds the watch's first read until `openStorage()`
 * and resolves `firstRead` once it has answered, so a test can write around it.
 */
function bookWithFirstReadHooks(): { book: UserLogBook; openStorage: () => void; firstRead: Promise<void> } {
  const store = createUserLogRepository(testDb.db);
  let openStorage!: () => void;
  const open = new Promise<void>((resolve) => (openStorage = resolve));
  let answered!: () => void;
  const firstRead = new Promise<void>((resolve) => (answered = resolve));
  const hooked: UserLogStore = Object.assign(Object.create(store) as UserLogStore, {
    listSince: async (...args: Parameters<UserLogStore["listSince"]>) => {
      await open;
      const records = await store.listSince(...args);
      answered();
      return records;
    },
  });
  return { book: createUserLogBook(hooked, 50), openStorage, firstRead };
}

describe("users against MongoDB", () => {
  it("when custom data is merged then nulls delete keys and the cap holds", async () => {
    const user = await users.create(
      input({ customData: { plan: "free", prefs: { theme: "dark", lang: "en" } } }),
      "key:admin",
    );
    const merged = await users.mergeCustomData(user.id, { plan: null, prefs: { lang: "fr" } }, "key:admin");
    expect(merged.customData).toEqual({ prefs: { theme: "dark", lang: "fr" } });
    expect(await failure(() => users.mergeCustomData(user.id, { blob: "x".repeat(1100) }, "key:admin"))).toMatchObject({
      reason: "CUSTOM_DATA_TOO_LARGE",
    });
  });

  it("when a password fails N times in the window then the user is locked until unlocked", async () => {
    const user = await users.create(
      input({ username: "carol", credential: { kind: "password", password: "tangerine-kettle" } }),
      "key:admin",
    );
    for (let i = 0; i < 3; i++) {
      expect(
        await failure(() => signIn.verify({ kind: "username", value: "CAROL" }, "wrong-password", "key:app")),
      ).toMatchObject({ reason: "INVALID_PASSWORD" });
    }
    expect(await failure(() => signIn.verify({ id: user.id }, "tangerine-kettle", "key:app"))).toMatchObject({
      reason: "USER_LOCKED",
    });
    await signIn.unlock(user.id, "key:admin");
    const verified = await signIn.verify({ id: user.id }, "tangerine-kettle", "key:app");
    expect(verified.lastSignInTime).toEqual(clock);
    const events = (await logs.list({ userId: user.id }, 100, "")).logs.map((l) => l.eventType);
    expect(events.filter((e) => e === UserLogEvent.SIGN_IN_FAILED)).toHaveLength(4);
    expect(events).toContain(UserLogEvent.USER_LOCKED);
    expect(events).toContain(UserLogEvent.USER_UNLOCKED);
    expect(events[0]).toBe(UserLogEvent.SIGN_IN_SUCCEEDED);
  });

  it("when failures are spread beyond the window then no lockout happens", async () => {
    const user = await users.create(
      input({ credential: { kind: "password", password: "tangerine-kettle" } }),
      "key:admin",
    );
    for (let i = 0; i < 4; i++) {
      clock = new Date(clock.getTime() + 61_000);
      expect(await failure(() => signIn.verify({ id: user.id }, "nope-nope", "key:app"))).toMatchObject({
        reason: "INVALID_PASSWORD",
      });
    }
    expect((await signIn.verify({ id: user.id }, "tangerine-kettle", "key:app")).id).toBe(user.id);
  });

  it("when a legacy digest verifies then it is rehashed to argon2id", async () => {
    const { createHash } = await import("node:crypto");
    const digest = createHash("sha1").update("legacy-secret").digest("hex");
    const user = await users.create(
      input({ credential: { kind: "digest", digest: { algorithm: "sha1", encodedDigest: digest, salt: "" } } }),
      "key:admin",
    );
    await signIn.verify({ id: user.id }, "legacy-secret", "key:app");
    expect((await store.findById(user.id))?.password?.algorithm).toBe("argon2id");
  });

  it("when a reset code is consumed then it sets the password once; a weak password keeps the code", async () => {
    const user = await users.create(input(), "key:admin");
    const { code } = await signIn.createResetCode(user.id, "key:admin");
    expect(JSON.stringify(await store.findById(user.id))).not.toContain(code);
    expect(await failure(() => signIn.consumeResetCode(code, "password", "key:admin", origin))).toMatchObject({
      reason: "PASSWORD_TOO_COMMON",
      field: "new_password",
    });
    await signIn.consumeResetCode(code, "orchid-lantern-9", "key:admin", origin);
    expect(await failure(() => signIn.consumeResetCode(code, "orchid-lantern-9", "key:admin", origin))).toMatchObject({
      reason: "RESET_CODE_INVALID",
    });
    expect((await signIn.verify({ id: user.id }, "orchid-lantern-9", "key:app")).id).toBe(user.id);
  });

  it("when an identity is linked to two users then the unique index refuses the second", async () => {
    const a = await users.create(input(), "key:admin");
    const b = await users.create(input(), "key:admin");
    await identities.link(a.id, { target: "google", providerUserId: "g-1", details: { email: "a@x.io" } }, "key:admin");
    expect(
      await failure(() => identities.link(b.id, { target: "google", providerUserId: "g-1", details: {} }, "key:admin")),
    ).toMatchObject({ reason: "IDENTITY_TAKEN" });
    expect(
      await failure(() => identities.link(a.id, { target: "google", providerUserId: "g-2", details: {} }, "key:admin")),
    ).toMatchObject({ reason: "IDENTITY_TARGET_LINKED" });
    await identities.link(
      a.id,
      { target: "google", providerUserId: "g-1", details: { email: "new@x.io" } },
      "key:admin",
    );
    expect((await identities.list(a.id))[0]?.details).toEqual({ email: "new@x.io" });
    await identities.unlink(a.id, "google", "key:admin");
    expect(await failure(() => identities.unlink(a.id, "google", "key:admin"))).toMatchObject({
      reason: "IDENTITY_NOT_FOUND",
    });
    await identities.link(b.id, { target: "google", providerUserId: "g-1", details: {} }, "key:admin");
  });

  it("when a user is deleted then its logs stay and the token cleanup retries until token-service answers", async () => {
    const user = await users.create(input(), "key:admin");
    await users.delete(user.id, "key:admin");
    expect(await store.findById(user.id)).toBeNull();
    expect((await logs.list({ userId: user.id }, 10, "")).logs.map((l) => l.eventType)).toEqual([
      UserLogEvent.USER_DELETED,
      UserLogEvent.USER_CREATED,
    ]);
    let up = false;
    const deleted: string[] = [];
    const worker = createTokenCleanupWorker({
      queue: cleanups,
      userExists: async (id) => (await store.findById(id)) !== null,
      deleteTokens: async (id) => {
        if (!up) throw new Error("token-service unavailable");
        deleted.push(id);
      },
      appendLogs: logs.appendMany,
      logger: createLogger("test", "fatal"),
      maxBackoffMs: 1,
    });
    expect(await worker.drain()).toBe(0);
    expect(await cleanups.count()).toBe(1);
    up = true;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await worker.drain()).toBe(1);
    expect(deleted).toEqual([user.id]);
    expect(await cleanups.count()).toBe(0);
  });

  it("when logs are paged then pages are disjoint, newest first, and filters apply", async () => {
    const user = await users.create(input(), "key:admin");
    for (let i = 0; i < 5; i++) await users.setSuspended(user.id, i % 2 === 0, "key:admin");
    const first = await logs.list({ userId: user.id }, 4, "", true);
    expect([first.total, first.totalExact]).toEqual([6, true]);
    const second = await logs.list({ userId: user.id }, 4, first.nextPageToken);
    expect(second.nextPageToken).toBe("");
    expect([second.total, second.totalExact]).toEqual([6, true]);
    expect([...first.logs, ...second.logs].map((l) => l.id)).toHaveLength(6);
    expect(new Set([...first.logs, ...second.logs].map((l) => l.id)).size).toBe(6);
    const suspended = await logs.list({ userId: user.id, events: [UserLogEvent.USER_SUSPENDED] }, 10, "");
    expect(suspended.total).toBe(3);
  });

  it("when a watcher is running then it receives only new entries", async () => {
    const user = await users.create(input(), "key:admin");
    await clockPast(Date.now());
    const controller = new AbortController();
    const watch = logs.watch({ userId: user.id }, controller.signal);
    const firstNext = watch.next();
    await users.setSuspended(user.id, true, "key:admin");
    const received = await firstNext;
    expect(received.value?.eventType).toBe(UserLogEvent.USER_SUSPENDED);
    controller.abort();
    await watch.return(undefined);
  });

  it("when an entry is written before the watch's first read of storage then the watcher still receives it", async () => {
    const user = await users.create(input(), "key:admin");
    await clockPast(Date.now());
    const { book, openStorage } = bookWithFirstReadHooks();
    const controller = new AbortController();
    const watch = book.watch({ userId: user.id }, controller.signal);
    const firstNext = watch.next();
    await book.append({
      userId: user.id,
      eventType: UserLogEvent.USER_SUSPENDED,
      actor: "key:early",
      result: UserLogResult.SUCCESS,
      payload: {},
    });
    openStorage();
    expect((await firstNext).value?.actor).toBe("key:early");
    controller.abort();
    await watch.return(undefined);
  });

  it("when a watch starts from a past time then it sends what was written since, and nothing older", async () => {
    const user = await users.create(input(), "key:admin");
    await users.setSuspended(user.id, true, "key:admin");
    await clockPast(Date.now());
    const from = new Date();
    await users.setSuspended(user.id, false, "key:admin");
    const controller = new AbortController();
    const watch = logs.watch({ userId: user.id }, controller.signal, from);
    expect((await watch.next()).value?.eventType).toBe(UserLogEvent.USER_UNSUSPENDED);
    controller.abort();
    await watch.return(undefined);
    const tooOld = logs.watch({ userId: user.id }, controller.signal, new Date(Date.now() - 2 * 3_600_000));
    expect(
      await tooOld.next().catch((err: unknown) => (isDomainError(err) ? err.fieldViolations.map((v) => v.field) : err)),
    ).toEqual(["start_time"]);
  });

  it("when another instance with a slower clock writes an entry then the watcher still receives it, once", async () => {
    const user = await users.create(input(), "key:admin");
    await clockPast(Date.now());
    const otherInstance = createUserLogRepository(testDb.db);
    const { book, openStorage, firstRead } = bookWithFirstReadHooks();
    const controller = new AbortController();
    const watch = book.watch({ userId: user.id }, controller.signal);
    const firstNext = watch.next();
    openStorage();
    // Written after the watch's first read of storage, stamped before the watch started.
    await firstRead;
    const entry = {
      userId: user.id,
      eventType: UserLogEvent.USER_SUSPENDED,
      actor: "key:other",
      result: UserLogResult.SUCCESS,
      payload: {},
    };
    await otherInstance.append(entry, new Date(Date.now() - 2_000));
    expect((await firstNext).value?.actor).toBe("key:other");
    await book.append({ ...entry, actor: "key:admin" });
    expect((await watch.next()).value?.actor).toBe("key:admin");
    controller.abort();
    await watch.return(undefined);
  });

  it("when many users are created at once then results keep request order and of two claiming one username the first wins", async () => {
    const name = `many${Date.now()}`;
    const unreadable = () => {
      throw invalidField("primary_phone", "is not a phone number");
    };
    const results = await users.createMany(
      [
        () => input({ username: `${name}a`, credential: { kind: "password", password: "a sturdy passphrase 1" } }),
        // The first claimant is slow to prepare (a password to hash), the second fast: order must still decide.
        () => input({ username: `${name}B`, credential: { kind: "password", password: "a sturdy passphrase 2" } }),
        unreadable,
        () => input({ username: `${name}b` }),
      ],
      "key:admin",
      4,
    );
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "rejected"]);
    expect(results[1]?.status === "fulfilled" && results[1].value.username).toBe(`${name}B`);
    expect(results[3]?.status === "rejected" && (results[3].reason as { reason?: string }).reason).toBe(
      "USERNAME_TAKEN",
    );
    expect(await testDb.db.collection("users").countDocuments({ usernameKey: { $regex: `^${name}` } })).toBe(2);
  });
});

describe("log entries written with their changes", () => {
  /** Use cases whose log storage fails while `down.now` is set, and the mover and cleanup worker that settle what they leave. */
  function withFlakyLog() {
    const down = { now: false };
    const repository = createUserLogRepository(testDb.db);
    const failing = <A extends unknown[], R>(write: (...args: A) => Promise<R>) =>
      ((...args: A) => (down.now ? Promise.reject(new Error("user_logs unavailable")) : write(...args))) as (
        ...args: A
      ) => Promise<R>;
    const book = createUserLogBook({
      ...repository,
      append: failing(repository.append),
      appendAll: failing(repository.appendAll),
    });
    const logger = createLogger("test", "fatal");
    // Entries carry the use cases' clock; the sweep takes every one written before now.
    const mover = createPendingLogMover({
      store,
      appendLogs: book.appendMany,
      logger,
      graceMs: 0,
      now: () => new Date(now().getTime() + 1),
    });
    const flakyUsers = createUsers({
      store,
      pendingLogs: mover,
      credentials: createPasswordCredentials({
        hasher: createPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 }),
        policy: { minLength: 8, maxLength: 64 },
      }),
      customDataLimits: { maxBytes: 1024, maxDepth: 4 },
      tokenCleanup: cleanups,
      now,
    });
    const worker = createTokenCleanupWorker({
      queue: cleanups,
      userExists: async (id) => (await store.findById(id)) !== null,
      deleteTokens: () => Promise.resolve(),
      appendLogs: book.appendMany,
      logger,
    });
    return { down, mover, users: flakyUsers, worker };
  }

  const eventsOf = async (userId: string) =>
    (await logs.list({ userId }, 50, "")).logs.map((l) => l.eventType).reverse();
  const pendingOf = async (userId: string) =>
    (await testDb.db.collection<UserDocument>("users").findOne({ _id: userId }))?.pendingLogs;

  it("when the log cannot be written after a suspension then the call succeeds and the sweep logs it once", async () => {
    const { down, mover, users: flaky } = withFlakyLog();
    const user = await flaky.create(input(), "key:admin");
    down.now = true;
    // Before entries were written with their change, this failed after suspending, and its retry, finding the
    // user suspended already, logged nothing: the suspension was never logged.
    await flaky.setSuspended(user.id, true, "key:admin", "fraud");
    await flaky.setSuspended(user.id, true, "key:admin", "fraud");
    expect((await store.findById(user.id))?.suspended).toBe(true);
    expect(await eventsOf(user.id)).toEqual([UserLogEvent.USER_CREATED]);
    expect((await pendingOf(user.id))?.map((e) => e.eventType)).toEqual([UserLogEvent.USER_SUSPENDED]);
    expect(await mover.sweep().catch((err: unknown) => String(err))).toMatch(/user_logs unavailable/);
    down.now = false;
    expect(await mover.sweep()).toBeGreaterThanOrEqual(1);
    expect(await mover.sweep()).toBe(0);
    expect(await eventsOf(user.id)).toEqual([UserLogEvent.USER_CREATED, UserLogEvent.USER_SUSPENDED]);
    const [suspended] = (await logs.list({ userId: user.id, events: [UserLogEvent.USER_SUSPENDED] }, 5, "")).logs;
    expect(suspended).toMatchObject({ actor: "key:admin", payload: { reason: "fraud" } });
    expect(await pendingOf(user.id)).toBeUndefined();
  });

  it("when the log cannot be written after a deletion then the cleanup task logs the deletion once", async () => {
    const { down, worker, users: flaky } = withFlakyLog();
    const user = await flaky.create(input(), "key:admin");
    down.now = true;
    await flaky.delete(user.id, "key:admin");
    expect(await store.findById(user.id)).toBeNull();
    expect(await eventsOf(user.id)).toEqual([UserLogEvent.USER_CREATED]);
    expect(await worker.drain()).toBe(0);
    down.now = false;
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await worker.drain()).toBe(1);
    expect(await eventsOf(user.id)).toEqual([UserLogEvent.USER_CREATED, UserLogEvent.USER_DELETED]);
    expect(await cleanups.count()).toBe(0);
  });

  it("when a deletion finds no user then its entry is dropped and the cleanup logs nothing", async () => {
    const { worker, users: flaky } = withFlakyLog();
    const user = await flaky.create(input(), "key:admin");
    await flaky.delete(user.id, "key:admin");
    await worker.drain();
    expect(await failure(() => users.delete("no-such-user", "key:admin"))).toMatchObject({ reason: "USER_NOT_FOUND" });
    await testDb.db.collection("token_cleanups").updateMany({}, { $set: { nextAttemptTime: new Date(0) } });
    await worker.drain();
    expect(await eventsOf("no-such-user")).toEqual([]);
    expect(await eventsOf(user.id)).toEqual([UserLogEvent.USER_CREATED, UserLogEvent.USER_DELETED]);
  });

  it("when a call died before deleting and a later call deletes then the deletion is logged once, as the later call's", async () => {
    const { worker, users: flaky } = withFlakyLog();
    const user = await flaky.create(input(), "key:admin");
    // The earlier call stored its task and entry, then died before deleting.
    await cleanups.enqueue(user.id, pendingLog(UserLogEvent.USER_DELETED, "key:first", {}, now()));
    await flaky.delete(user.id, "key:second");
    await worker.drain();
    const deleted = (await logs.list({ userId: user.id, events: [UserLogEvent.USER_DELETED] }, 5, "")).logs;
    expect(deleted.map((l) => l.actor)).toEqual(["key:second"]);
  });

  it("when a worker runs between a deletion's task and the deletion then it leaves the task to the deletion", async () => {
    const { worker, users: flaky } = withFlakyLog();
    const user = await flaky.create(input(), "key:admin");
    await testDb.db.collection("token_cleanups").deleteMany({});
    await cleanups.enqueue(user.id, pendingLog(UserLogEvent.USER_DELETED, "key:admin", {}, now()));
    // Due at once, the task would be dropped here as its user still exists, and the deletion would follow untold.
    expect(await worker.drain()).toBe(0);
    expect(await cleanups.count()).toBe(1);
    await flaky.delete(user.id, "key:admin");
    expect(await worker.drain()).toBe(1);
    expect(await cleanups.count()).toBe(0);
  });

  it("when a password check throws or its instance dies then the admitted attempt is logged as failed, as it counts", async () => {
    const { mover } = withFlakyLog();
    const hasher = createPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
    const user = await users.create(input({ credential: { kind: "password", password: "orchid-lantern-9" } }), "k");
    const broken = createPasswordSignIn({
      users,
      store,
      hasher: { ...hasher, verify: () => Promise.reject(new Error("the argon2 pool is gone")) },
      appendLog: logs.append,
      pendingLogs: mover,
      lockout: { threshold: 3, windowMs: 60_000, durationMs: 300_000 },
      now,
    });
    await expect(broken.verify({ id: user.id }, "orchid-lantern-9", "key:admin")).rejects.toThrow("argon2 pool");
    // Counted as failed in the write that admitted it; before, its entry was written only once the check answered.
    expect((await store.findById(user.id))?.failedAttempts.count).toBe(1);
    expect(await mover.sweep()).toBe(1);
    const failed = (await logs.list({ userId: user.id, events: [UserLogEvent.SIGN_IN_FAILED] }, 5, "")).logs;
    expect(failed.map((l) => [l.result, l.payload])).toEqual([
      [UserLogResult.FAILURE, { reason: "INVALID_CREDENTIALS" }],
    ]);
    // A check that succeeds puts its entry in the attempt's place: no failure is logged for it.
    await signIn.verify({ id: user.id }, "orchid-lantern-9", "key:admin");
    expect(await eventsOf(user.id)).toEqual([
      UserLogEvent.USER_CREATED,
      UserLogEvent.SIGN_IN_FAILED,
      UserLogEvent.SIGN_IN_SUCCEEDED,
    ]);
    expect(await pendingOf(user.id)).toBeUndefined();
  });

  it("when a change's writer dies before moving its entry then the sweep moves it only once it has waited the grace", async () => {
    const user = await users.create(input(), "key:admin");
    const entry = pendingLog(UserLogEvent.USER_UPDATED, "key:admin", { paths: ["name"] }, new Date());
    // The change and its entry, stored in one write by a writer that never got to move the entry.
    await store.patch(user.id, { set: { name: "Ada", updateTime: new Date() }, logs: [entry] });
    let at = Date.now();
    const mover = createPendingLogMover({
      store,
      appendLogs: logs.appendMany,
      logger: createLogger("test", "fatal"),
      graceMs: 10_000,
      now: () => new Date(at),
    });
    expect(await mover.sweep()).toBe(0);
    at += 10_001;
    expect(await mover.sweep()).toBeGreaterThanOrEqual(1);
    expect(await eventsOf(user.id)).toEqual([UserLogEvent.USER_CREATED, UserLogEvent.USER_UPDATED]);
    expect(await pendingOf(user.id)).toBeUndefined();
  });
});
