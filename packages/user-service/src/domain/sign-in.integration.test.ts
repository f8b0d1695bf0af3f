import { beforeAll, describe, expect, it } from "vitest";
import { createCredentialThrottle, ensureIndexes, type AuthFailure } from "@roster/runtime";
import { isDomainError } from "@roster/runtime/domain-error";
import { useBackend } from "@roster/mongo-double/testing";
import { userServiceIndexes } from "../storage/indexes.js";
import { UserLogRepository } from "../storage/user-log-repository.js";
import { UserRepository } from "../storage/user-repository.js";
import { PasswordService } from "./password-credentials.js";
import { PasswordHasher } from "./passwords.js";
import { SignIn } from "./sign-in.js";
import { UserLogBook } from "./user-logs.js";
import { Users } from "./users.js";

const testDb = useBackend("sign_in_it");
const ttlMs = 3_600_000;
let clock = new Date("2030-01-01T00:00:00Z");
let users: Users;
let signIn: SignIn;
const perAddress = 3;
const reports: AuthFailure[] = [];
const origin = (address: string) => ({ address, method: "roster.user.v1.UserService/ConsumePasswordResetCode" });
const input = { username: "", email: "", emailVerified: false, phone: "", phoneVerified: false, name: "", avatarUrl: "", profile: { claims: {} }, customData: {} };

beforeAll(async () => {
  await ensureIndexes(testDb.db, userServiceIndexes(90));
  const store = new UserRepository(testDb.db);
  const appendLog = new UserLogBook(new UserLogRepository(testDb.db), 50).append;
  const passwords = new PasswordService(new PasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 }), { minLength: 8, maxLength: 64 });
  const now = () => clock;
  users = new Users({ store, appendLog, passwords, customDataLimits: { maxBytes: 1024, maxDepth: 4 }, enqueueTokenCleanup: () => Promise.resolve(), now });
  signIn = new SignIn({ users, store, passwords, appendLog, lockout: { threshold: 3, windowMs: 60_000, durationMs: 300_000 }, resetCodeTtlMs: ttlMs, now,
    resetThrottle: createCredentialThrottle("reset_code", { perAddress, perTarget: 2 }, { record: (f) => reports.push(f) }),
  });
}, 30_000);

describe("password reset code expiry", () => {
  it("when a reset code is consumed after its lifetime then UNAUTHENTICATED RESET_CODE_INVALID and the password stays unset", async () => {
    const user = await users.create(input, "key:admin");
    const { code, expireTime } = await signIn.createResetCode(user._id, "key:admin");
    expect(expireTime.getTime() - clock.getTime()).toBe(ttlMs);
    clock = new Date(expireTime.getTime() + 1);
    const failure = await signIn.consumeResetCode(code, "orchid-lantern-9", "key:admin", origin("10.0.0.1")).catch((err: unknown) => err);
    expect(isDomainError(failure) && { kind: failure.kind, reason: failure.reason }).toEqual({ kind: "unauthenticated", reason: "RESET_CODE_INVALID" });
    expect((await users.get(user._id)).password).toBeUndefined();
  });
});

describe("password reset code guessing", () => {
  const outcome = (promise: Promise<unknown>) =>
    promise.then(
      () => "OK",
      (err: unknown) => (isDomainError(err) ? `${err.kind}/${err.reason}` : Promise.reject(err)),
    );

  it("when one address guesses codes then it is cut off after its limit, while the real code from another address still works and no report holds a code", async () => {
    const user = await users.create(input, "key:admin");
    const { code } = await signIn.createResetCode(user._id, "key:admin");
    const guesses = Array.from({ length: perAddress + 2 }, (_, i) => `guess-${i}-${"x".repeat(20)}`);
    const results = [];
    for (const guess of guesses) results.push(await outcome(signIn.consumeResetCode(guess, "orchid-lantern-9", "key:admin", origin("10.0.0.2"))));
    expect(results).toEqual([
      ...Array<string>(perAddress).fill("unauthenticated/RESET_CODE_INVALID"),
      "resource-exhausted/RATE_LIMITED",
      "resource-exhausted/RATE_LIMITED",
    ]);
    expect(await outcome(signIn.consumeResetCode(code, "orchid-lantern-9", "key:admin", origin("10.0.0.2")))).toBe("resource-exhausted/RATE_LIMITED");
    expect(await outcome(signIn.consumeResetCode(code, "orchid-lantern-9", "key:admin", origin("10.0.0.3")))).toBe("OK");
    const text = JSON.stringify(reports);
    for (const secret of [code, ...guesses]) expect(text).not.toContain(secret);
  });

  it("when a refused new password is retried then it never counts as a guess", async () => {
    const user = await users.create(input, "key:admin");
    const { code } = await signIn.createResetCode(user._id, "key:admin");
    for (let i = 0; i < perAddress + 2; i++) {
      expect(await outcome(signIn.consumeResetCode(code, "short", "key:admin", origin("10.0.0.4")))).toBe("invalid-argument/PASSWORD_TOO_SHORT");
    }
    expect(await outcome(signIn.consumeResetCode(code, "orchid-lantern-9", "key:admin", origin("10.0.0.4")))).toBe("OK");
  });
});
