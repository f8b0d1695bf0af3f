import { beforeAll, describe, expect, it } from "vitest";
import { ensureIndexes } from "@roster/runtime";
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

beforeAll(async () => {
  await ensureIndexes(testDb.db, userServiceIndexes(90));
  const store = new UserRepository(testDb.db);
  const appendLog = new UserLogBook(new UserLogRepository(testDb.db), 50).append;
  const passwords = new PasswordService(new PasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 }), { minLength: 8, maxLength: 64 });
  const now = () => clock;
  users = new Users({ store, appendLog, passwords, customDataLimits: { maxBytes: 1024, maxDepth: 4 }, enqueueTokenCleanup: () => Promise.resolve(), now });
  signIn = new SignIn({ users, store, passwords, appendLog, lockout: { threshold: 3, windowMs: 60_000, durationMs: 300_000 }, resetCodeTtlMs: ttlMs, now });
}, 30_000);

describe("password reset code expiry", () => {
  it("when a reset code is consumed after its lifetime then UNAUTHENTICATED RESET_CODE_INVALID and the password stays unset", async () => {
    const input = { username: "", email: "", emailVerified: false, phone: "", phoneVerified: false, name: "", avatarUrl: "", profile: { claims: {} }, customData: {} };
    const user = await users.create(input, "key:admin");
    const { code, expireTime } = await signIn.createResetCode(user._id, "key:admin");
    expect(expireTime.getTime() - clock.getTime()).toBe(ttlMs);
    clock = new Date(expireTime.getTime() + 1);
    const failure = await signIn.consumeResetCode(code, "orchid-lantern-9", "key:admin").catch((err: unknown) => err);
    expect(isDomainError(failure) && { kind: failure.kind, reason: failure.reason }).toEqual({ kind: "unauthenticated", reason: "RESET_CODE_INVALID" });
    expect((await users.get(user._id)).password).toBeUndefined();
  });
});
