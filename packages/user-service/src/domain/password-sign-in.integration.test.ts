import { beforeAll, describe, expect, it } from "vitest";
import { UserLogEvent } from "@roster/client/contract";
import { createCredentialThrottle, createLogger, ensureIndexes, type AuthFailure } from "@roster/runtime";
import { isDomainError } from "@roster/runtime/domain-error";
import { useBackend } from "@roster/mongo-double/testing";
import { userServiceIndexes } from "../storage/indexes.js";
import { createUserLogRepository } from "../storage/user-log-repository.js";
import { createUserRepository } from "../storage/user-repository.js";
import { createPasswordChanges, type PasswordChanges } from "./password-changes.js";
import { createPendingLogMover, pendingLog } from "./pending-logs.js";
import { createPasswordCredentials } from "./password-credentials.js";
import { createPasswordHasher, type Argon2Cost, type PasswordHasher, type StoredPassword } from "./password-hashes.js";
import { createPasswordSignIn, type LockoutPolicy, type PasswordSignIn } from "./password-sign-in.js";
import { createUserLogBook, type UserLogBook } from "./user-logs.js";
import type { UserStore } from "./user-store.js";
import { createUsers, type Users } from "./users.js";
import { unloggedChanges, userInput } from "../testing.js";

/** Verification and the password changes over one hasher: the two services these tests drive together. */
type SignIn = PasswordSignIn & PasswordChanges;

const testDb = useBackend("sign_in_it");
const ttlMs = 3_600_000;
const cheap: Argon2Cost = { memoryCost: 1024, timeCost: 1, parallelism: 1 };
const secret = "orchid-lantern-9";
let clock = new Date("2030-01-01T00:00:00Z");
let users: Users;
let signIn: SignIn;
let logs: UserLogBook;
let store: UserStore;
let newSignIn: (hasher: PasswordHasher, lockout: LockoutPolicy) => SignIn;
const perAddress = 3;
const reports: AuthFailure[] = [];
const origin = (address: string) => ({ address, method: "roster.user.v1.UserService/ConsumePasswordResetCode" });

beforeAll(async () => {
  await ensureIndexes(testDb.db, userServiceIndexes(90));
  store = createUserRepository(testDb.db, { lookupTimeoutMs: 5_000 });
  logs = createUserLogBook(createUserLogRepository(testDb.db), 50);
  const appendLog = logs.append;
  const pendingLogs = createPendingLogMover({
    store,
    appendLogs: logs.appendMany,
    logger: createLogger("test", "fatal"),
  });
  const policy = { minLength: 8, maxLength: 64 };
  const credentials = createPasswordCredentials({ hasher: createPasswordHasher(cheap), policy });
  const now = () => clock;
  users = createUsers({
    store,
    credentials,
    customDataLimits: { maxBytes: 1024, maxDepth: 4 },
    ...unloggedChanges,
    pendingLogs,
    now,
  });
  newSignIn = (hasher, lockout) => ({
    ...createPasswordSignIn({ users, store, hasher, appendLog, pendingLogs, lockout, now }),
    ...createPasswordChanges({
      users,
      store,
      credentials: createPasswordCredentials({ hasher, policy }),
      appendLog,
      pendingLogs,
      resetCodeTtlMs: ttlMs,
      now,
      resetThrottle: createCredentialThrottle(
        "reset_code",
        { perAddress, perTarget: 2 },
        { record: (f) => reports.push(f) },
      ),
    }),
  });
  signIn = newSignIn(createPasswordHasher(cheap), { threshold: 3, windowMs: 60_000, durationMs: 300_000 });
}, 30_000);

let serial = 0;
async function newUser(password?: string) {
  const input = userInput({ username: `u${++serial}` });
  return users.create(
    { ...input, ...(password === undefined ? {} : { credential: { kind: "password", password } }) },
    "key:admin",
  );
}

/** What a call ended with: "OK", or the reason of the domain error it threw. */
const outcome = (call: Promise<unknown>) =>
  call.then(
    () => "OK",
    (err: unknown) => (isDomainError(err) ? err.reason : err),
  );

/** Counts verifications and holds each one until `open()`, so a test sees how many run at once. */
function heldHasher(cost: Argon2Cost) {
  const inner = createPasswordHasher(cost);
  let release = () => {};
  const opened = new Promise<void>((resolve) => (release = resolve));
  const held = {
    ...inner,
    verifies: 0,
    open: () => release(),
    async verify(stored: StoredPassword | undefined, password: string) {
      held.verifies++;
      await opened;
      return inner.verify(stored, password);
    },
  };
  return held;
}

type HeldHasher = ReturnType<typeof heldHasher>;

/** Starts calls and waits, without a timer racing them, until each has reached the hasher or finished. */
async function startAll(hasher: HeldHasher, calls: (() => Promise<unknown>)[]): Promise<Promise<unknown>[]> {
  const before = hasher.verifies;
  let settled = 0;
  const started = calls.map((call) => outcome(call()).finally(() => settled++));
  while (hasher.verifies - before + settled < calls.length) await new Promise((resolve) => setTimeout(resolve, 1));
  return started;
}

const tally = (values: unknown[]) =>
  values.reduce<Record<string, number>>((acc, v) => ({ ...acc, [String(v)]: (acc[String(v)] ?? 0) + 1 }), {});

async function failureReasons(userId: string): Promise<unknown[]> {
  const { logs: entries } = await logs.list({ userId, events: [UserLogEvent.SIGN_IN_FAILED] }, 100, "");
  return entries.map((e) => e.payload.reason);
}

describe("password reset code expiry", () => {
  it("when a reset code is consumed after its lifetime then UNAUTHENTICATED RESET_CODE_INVALID and the password stays unset", async () => {
    const user = await newUser();
    const { code, expireTime } = await signIn.createResetCode(user.id, "key:admin");
    expect(expireTime.getTime() - clock.getTime()).toBe(ttlMs);
    clock = new Date(expireTime.getTime() + 1);
    const failure = await signIn
      .consumeResetCode(code, "orchid-lantern-9", "key:admin", origin("10.0.0.1"))
      .catch((err: unknown) => err);
    expect(isDomainError(failure) && { kind: failure.kind, reason: failure.reason }).toEqual({
      kind: "unauthenticated",
      reason: "RESET_CODE_INVALID",
    });
    expect((await users.get(user.id)).password).toBeUndefined();
  });
});

describe("lockout under concurrent guesses", () => {
  const lockout = { threshold: 5, windowMs: 60_000, durationMs: 300_000 };

  it("when 50 wrong passwords arrive at once with threshold 5 then at most 5 are verified and the rest answer USER_LOCKED", async () => {
    const user = await newUser(secret);
    const hasher = heldHasher(cheap);
    const held = newSignIn(hasher, lockout);
    const calls = await startAll(
      hasher,
      Array.from({ length: 50 }, () => () => held.verify({ id: user.id }, "bad-guess", "key:admin")),
    );
    expect(hasher.verifies).toBeLessThanOrEqual(5);
    hasher.open();
    expect(tally(await Promise.all(calls))).toEqual({ INVALID_PASSWORD: 5, USER_LOCKED: 45 });
    expect(hasher.verifies).toBe(5);
    expect(tally(await failureReasons(user.id))).toEqual({ INVALID_CREDENTIALS: 5, USER_LOCKED: 45 });
    expect((await users.get(user.id)).lockUntil?.getTime()).toBe(clock.getTime() + lockout.durationMs);
  });

  it("when the right password comes among 50 wrong ones after the threshold is used up then it answers USER_LOCKED", async () => {
    const user = await newUser(secret);
    const hasher = heldHasher(cheap);
    const held = newSignIn(hasher, lockout);
    const wrong = await startAll(
      hasher,
      Array.from(
        { length: 50 },
        () => () => held.verify({ kind: "username", value: user.username! }, "bad-guess", "key:admin"),
      ),
    );
    const [right] = await startAll(hasher, [
      () => held.verify({ kind: "username", value: user.username! }, secret, "key:admin"),
    ]);
    hasher.open();
    expect(await right).toBe("USER_LOCKED");
    expect(tally(await Promise.all(wrong))).toEqual({ INVALID_PASSWORD: 5, USER_LOCKED: 45 });
    expect((await users.get(user.id)).lastSignInTime).toBeUndefined();
  });
});

describe("lockout windows and unfinished attempts", () => {
  const lockout = { threshold: 3, windowMs: 60_000, durationMs: 300_000 };
  const later = (ms: number) => (clock = new Date(clock.getTime() + ms));

  it("when a window ends below the threshold then the count starts again", async () => {
    const user = await newUser(secret);
    const plain = newSignIn(createPasswordHasher(cheap), lockout);
    for (let i = 0; i < 2; i++)
      expect(await outcome(plain.verify({ id: user.id }, "bad-guess", "key:admin"))).toBe("INVALID_PASSWORD");
    later(lockout.windowMs + 1);
    for (let i = 0; i < 2; i++)
      expect(await outcome(plain.verify({ id: user.id }, "bad-guess", "key:admin"))).toBe("INVALID_PASSWORD");
    expect((await users.get(user.id)).failedAttempts.count).toBe(2);
    expect(await outcome(plain.verify({ id: user.id }, secret, "key:admin"))).toBe("OK");
    expect((await users.get(user.id)).failedAttempts.count).toBe(0);
  });

  it("when admitted attempts never finish, their check throwing or their instance gone, then they count as failures until the window ends", async () => {
    const user = await newUser(secret);
    const broken: PasswordHasher = {
      ...createPasswordHasher(cheap),
      verify: () => Promise.reject(new Error("the argon2 pool is gone")),
    };
    const failing = newSignIn(broken, lockout);
    for (let i = 0; i < 2; i++)
      await expect(failing.verify({ id: user.id }, secret, "key:admin")).rejects.toThrow("the argon2 pool is gone");
    const rule = {
      now: clock,
      windowStartCutoff: new Date(clock.getTime() - lockout.windowMs),
      threshold: lockout.threshold,
    };
    const attempt = pendingLog(UserLogEvent.SIGN_IN_FAILED, "key:admin", {}, clock);
    expect((await store.admitAttempt({ id: user.id }, rule, attempt))?.user.failedAttempts.count).toBe(3);
    const plain = newSignIn(createPasswordHasher(cheap), lockout);
    const refused = await plain.verify({ id: user.id }, secret, "key:admin").catch((err: unknown) => err);
    const windowEnd = (await users.get(user.id)).failedAttempts.windowStart!.getTime() + lockout.windowMs;
    expect(isDomainError(refused) && { reason: refused.reason, until: refused.metadata.lock_expire_time }).toEqual({
      reason: "USER_LOCKED",
      until: new Date(windowEnd).toISOString(),
    });
    later(lockout.windowMs + 1);
    expect(await outcome(plain.verify({ id: user.id }, secret, "key:admin"))).toBe("OK");
  });

  it("when the right password races wrong ones within the threshold then it succeeds and the user ends unlocked with no count", async () => {
    const user = await newUser(secret);
    const hasher = heldHasher(cheap);
    const held = newSignIn(hasher, lockout);
    const guesses = ["bad-guess", secret, "bad-guess"].map(
      (password) => () => held.verify({ id: user.id }, password, "key:admin"),
    );
    const calls = await startAll(hasher, guesses);
    hasher.open();
    expect(tally(await Promise.all(calls))).toEqual({ INVALID_PASSWORD: 2, OK: 1 });
    const after = await users.get(user.id);
    expect({
      count: after.failedAttempts.count,
      locked: after.lockUntil !== undefined && after.lockUntil > clock,
    }).toEqual({ count: 0, locked: false });
  });
});

describe("timing of VerifyPassword failures", () => {
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

  it("when an unknown identifier, a password-less user and a wrong password are verified then their median costs are within 10%", async () => {
    // Small enough to keep the run short, large enough that argon2 dominates the database work (the double runs in
    // this process, so its CPU counts here; against a real MongoDB it would be another process).
    const timed = newSignIn(createPasswordHasher({ memoryCost: 16_384, timeCost: 4, parallelism: 1 }), {
      threshold: 1_000,
      windowMs: 60_000,
      durationMs: 300_000,
    });
    const known = await newUser();
    await timed.setPassword(known.id, { kind: "password", password: secret }, "key:admin");
    const passwordless = await newUser();
    const attempts = {
      wrong: () => timed.verify({ kind: "username", value: known.username! }, "bad-guess", "key:admin"),
      unknown: () => timed.verify({ kind: "username", value: "nobody-by-that-name" }, "bad-guess", "key:admin"),
      passwordless: () => timed.verify({ kind: "username", value: passwordless.username! }, "bad-guess", "key:admin"),
    };
    const kinds = Object.keys(attempts) as (keyof typeof attempts)[];
    // The process's CPU time counts everything a call makes the service do (argon2 on the thread pool, the driver,
    // the database double in this process) and, unlike the wall clock, not the waits for a core on a shared
    // machine. Rounds time every kind once, in a rotating order; the first rounds warm up.
    const costs: Record<keyof typeof attempts, number[]> = { wrong: [], unknown: [], passwordless: [] };
    for (let round = 0; round < 46; round++) {
      for (let i = 0; i < kinds.length; i++) {
        const kind = kinds[(round + i) % kinds.length]!;
        const before = process.cpuUsage();
        expect(await outcome(attempts[kind]())).toBe("INVALID_PASSWORD");
        const used = process.cpuUsage(before);
        if (round >= 6) costs[kind].push(used.user + used.system);
      }
    }
    const ratios = Object.fromEntries(
      kinds.map((k) => [k, Number((median(costs[k]) / median(costs.wrong)).toFixed(3))]),
    );
    for (const kind of kinds)
      expect(Math.abs(ratios[kind]! - 1), `${kind}: ${JSON.stringify(ratios)}`).toBeLessThan(0.1);
  }, 60_000);
});

describe("password reset code guessing", () => {
  const outcome = (promise: Promise<unknown>) =>
    promise.then(
      () => "OK",
      (err: unknown) => (isDomainError(err) ? `${err.kind}/${err.reason}` : Promise.reject(err)),
    );

  it("when one address guesses codes then it is cut off after its limit, while the real code from another address still works and no report holds a code", async () => {
    const user = await newUser();
    const { code } = await signIn.createResetCode(user.id, "key:admin");
    const guesses = Array.from({ length: perAddress + 2 }, (_, i) => `guess-${i}-${"x".repeat(20)}`);
    const results = [];
    for (const guess of guesses)
      results.push(await outcome(signIn.consumeResetCode(guess, "orchid-lantern-9", "key:admin", origin("10.0.0.2"))));
    expect(results).toEqual([
      ...Array<string>(perAddress).fill("unauthenticated/RESET_CODE_INVALID"),
      "resource-exhausted/RATE_LIMITED",
      "resource-exhausted/RATE_LIMITED",
    ]);
    expect(await outcome(signIn.consumeResetCode(code, "orchid-lantern-9", "key:admin", origin("10.0.0.2")))).toBe(
      "resource-exhausted/RATE_LIMITED",
    );
    expect(await outcome(signIn.consumeResetCode(code, "orchid-lantern-9", "key:admin", origin("10.0.0.3")))).toBe(
      "OK",
    );
    const text = JSON.stringify(reports);
    for (const secret of [code, ...guesses]) expect(text).not.toContain(secret);
  });

  it("when a refused new password is retried then it never counts as a guess", async () => {
    const user = await newUser();
    const { code } = await signIn.createResetCode(user.id, "key:admin");
    for (let i = 0; i < perAddress + 2; i++) {
      expect(await outcome(signIn.consumeResetCode(code, "short", "key:admin", origin("10.0.0.4")))).toBe(
        "invalid-argument/PASSWORD_TOO_SHORT",
      );
    }
    expect(await outcome(signIn.consumeResetCode(code, "orchid-lantern-9", "key:admin", origin("10.0.0.4")))).toBe(
      "OK",
    );
  });
});
