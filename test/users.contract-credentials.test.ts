import { describe, expect, it } from "vitest";
import { detailedFailureOf, jsonOf, struct, type PlainStruct } from "./helpers/contract.js";
import { bearer, grpc, serverStream } from "./helpers/plain-grpc.js";
import { stackInfo } from "./helpers/stack-info.js";
import { callUsers, failureOf, unique, userClient } from "./helpers/users.js";

// The UserService contract for passwords, reset codes, identities and logs:
// each documented error, and bad input refused naming the field with nothing written.

const stack = stackInfo();
interface PlainUser {
  id: string;
  username: string;
  primaryEmail: string;
  primaryPhone: string;
  hasPassword: boolean;
  lockExpireTime: unknown;
}
interface UserReply {
  user: PlainUser;
}
interface LogsReply {
  userLogs: { event: string; result: string; payload: PlainStruct }[];
  totalSize: number;
  nextPageToken: string;
}

const secret = "tangerine-kettle";
const newUser = async (fields: object = {}) =>
  (await callUsers<UserReply>("createUser", { username: unique("cc_"), ...fields })).user;
const invalid = (field: string, reason = "INVALID_ARGUMENT") => ({
  code: grpc.status.INVALID_ARGUMENT,
  reason,
  fields: [field],
});
const userNotFound = { code: grpc.status.NOT_FOUND, reason: "USER_NOT_FOUND" };
const invalidPassword = { code: grpc.status.UNAUTHENTICATED, reason: "INVALID_PASSWORD" };
const verify = (request: object) => failureOf(() => callUsers("verifyPassword", request));
const events = async (userId: string, filter: string[] = []) =>
  (await callUsers<LogsReply>("listUserLogs", { userId, events: filter, pageSize: 100 })).userLogs.map((l) =>
    l.event.replace("USER_LOG_EVENT_", ""),
  );

async function lock(userId: string): Promise<void> {
  for (let i = 0; i < 5; i++) expect(await verify({ userId, password: "bad-guess" })).toMatchObject(invalidPassword);
}

describe("SetPassword", () => {
  it("when the password breaks the policy, the digest is malformed or none is given then the field is named and none is set", async () => {
    const user = await newUser();
    const set = (credential: object) => failureOf(() => callUsers("setPassword", { userId: user.id, ...credential }));
    expect(await set({ password: "short" })).toEqual(invalid("password", "PASSWORD_TOO_SHORT"));
    expect(await set({ password: "p".repeat(129) })).toEqual(invalid("password", "PASSWORD_TOO_LONG"));
    expect(await set({ password: "Password123" })).toEqual(invalid("password", "PASSWORD_TOO_COMMON"));
    expect(await set({ passwordDigest: { algorithm: "PASSWORD_ALGORITHM_SHA256", encodedDigest: "abc" } })).toEqual(
      invalid("password_digest", "INVALID_PASSWORD_DIGEST"),
    );
    expect(await set({})).toEqual(invalid("credential"));
    expect(await failureOf(() => callUsers("setPassword", { password: secret }))).toEqual(invalid("user_id"));
    expect(await failureOf(() => callUsers("setPassword", { userId: "no-such-user", password: secret }))).toMatchObject(
      userNotFound,
    );
    expect((await callUsers<UserReply>("getUser", { userId: user.id })).user.hasPassword).toBe(false);
    expect(await events(user.id)).toEqual(["USER_CREATED"]);
  });

  it("when set on a locked user then the lockout lifts and the new password verifies", async () => {
    const user = await newUser({ password: secret });
    await lock(user.id);
    const { user: after } = await callUsers<UserReply>("setPassword", {
      userId: user.id,
      password: "orchid-lantern-9",
    });
    expect(after.lockExpireTime).toBeNull();
    await callUsers("verifyPassword", { userId: user.id, password: "orchid-lantern-9" });
  });
});

describe("VerifyPassword", () => {
  it("when verified by email and by phone then it succeeds, and every attempt is logged", async () => {
    const user = await newUser({
      primaryEmail: `${unique("v")}@example.com`,
      primaryPhone: `+4420${Math.floor(1e7 + Math.random() * 9e7)}`,
      password: secret,
    });
    await callUsers("verifyPassword", { email: user.primaryEmail.toUpperCase(), password: secret });
    await callUsers("verifyPassword", { phone: `00${user.primaryPhone.slice(1)}`, password: secret });
    expect(await verify({ email: user.primaryEmail, password: "wrong-one" })).toMatchObject(invalidPassword);
    expect(await events(user.id, ["USER_LOG_EVENT_SIGN_IN_SUCCEEDED", "USER_LOG_EVENT_SIGN_IN_FAILED"])).toEqual([
      "SIGN_IN_FAILED",
      "SIGN_IN_SUCCEEDED",
      "SIGN_IN_SUCCEEDED",
    ]);
  });

  it("when the user has no password, the id is unknown or the password empty then INVALID_PASSWORD, NOT_FOUND or INVALID_ARGUMENT", async () => {
    const user = await newUser();
    expect(await verify({ userId: user.id, password: secret })).toMatchObject(invalidPassword);
    expect(await verify({ username: user.username, password: secret })).toMatchObject(invalidPassword);
    expect(await verify({ userId: "no-such-user", password: secret })).toMatchObject(userNotFound);
    expect(await verify({ userId: user.id, password: "" })).toEqual(invalid("password"));
    expect(await verify({ userId: user.id, password: "p".repeat(1_025) })).toEqual(invalid("password"));
  });

  it("when locked then USER_LOCKED carries lock_expire_time and even the right password is refused until UnlockUser", async () => {
    const user = await newUser({ password: secret });
    await lock(user.id);
    const locked = await detailedFailureOf(() => callUsers("verifyPassword", { userId: user.id, password: secret }));
    expect(locked).toMatchObject({ code: grpc.status.FAILED_PRECONDITION, reason: "USER_LOCKED" });
    const until = Date.parse(locked.metadata.lock_expire_time ?? "");
    expect(locked.metadata.lock_expire_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(until).toBeGreaterThan(Date.now());
    expect((await callUsers<UserReply>("unlockUser", { userId: user.id })).user.lockExpireTime).toBeNull();
    await callUsers("unlockUser", { userId: user.id });
    await callUsers("verifyPassword", { userId: user.id, password: secret });
    expect(await events(user.id, ["USER_LOG_EVENT_USER_LOCKED", "USER_LOG_EVENT_USER_UNLOCKED"])).toEqual([
      "USER_UNLOCKED",
      "USER_LOCKED",
    ]);
    expect(await failureOf(() => callUsers("unlockUser", { userId: "no-such-user" }))).toMatchObject(userNotFound);
    expect(await failureOf(() => callUsers("unlockUser", {}))).toEqual(invalid("user_id"));
  });
});

describe("password reset codes", () => {
  it("when a code is created then it is long, expires in about an hour and a newer one voids it", async () => {
    const user = await newUser();
    const first = await callUsers<{ code: string; expireTime: { seconds: string } }>("createPasswordResetCode", {
      userId: user.id,
    });
    expect(first.code).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    expect(Number(first.expireTime.seconds) * 1000 - Date.now()).toBeGreaterThan(55 * 60_000);
    const second = await callUsers<{ code: string }>("createPasswordResetCode", { userId: user.id });
    expect(
      await failureOf(() =>
        callUsers("consumePasswordResetCode", { code: first.code, newPassword: "orchid-lantern-9" }),
      ),
    ).toMatchObject({ code: grpc.status.UNAUTHENTICATED, reason: "RESET_CODE_INVALID" });
    await callUsers("consumePasswordResetCode", { code: second.code, newPassword: "orchid-lantern-9" });
    expect(
      await failureOf(() =>
        callUsers("consumePasswordResetCode", { code: second.code, newPassword: "another-fine-one" }),
      ),
    ).toMatchObject({ code: grpc.status.UNAUTHENTICATED, reason: "RESET_CODE_INVALID" });
    await callUsers("verifyPassword", { userId: user.id, password: "orchid-lantern-9" });
  });

  it("when the user is unknown or suspended then NOT_FOUND or USER_SUSPENDED, for creating and for consuming", async () => {
    expect(await failureOf(() => callUsers("createPasswordResetCode", { userId: "no-such-user" }))).toMatchObject(
      userNotFound,
    );
    expect(await failureOf(() => callUsers("createPasswordResetCode", {}))).toEqual(invalid("user_id"));
    const user = await newUser();
    const { code } = await callUsers<{ code: string }>("createPasswordResetCode", { userId: user.id });
    await callUsers("suspendUser", { userId: user.id });
    const suspended = { code: grpc.status.FAILED_PRECONDITION, reason: "USER_SUSPENDED" };
    expect(await failureOf(() => callUsers("createPasswordResetCode", { userId: user.id }))).toMatchObject(suspended);
    expect(
      await failureOf(() => callUsers("consumePasswordResetCode", { code, newPassword: "orchid-lantern-9" })),
    ).toMatchObject(suspended);
    await callUsers("unsuspendUser", { userId: user.id });
    await callUsers("consumePasswordResetCode", { code, newPassword: "orchid-lantern-9" });
  });

  it("when the new password is refused or the code malformed then the field is named and the code stays usable", async () => {
    const user = await newUser({ password: secret });
    const { code } = await callUsers<{ code: string }>("createPasswordResetCode", { userId: user.id });
    const consume = (request: object) => failureOf(() => callUsers("consumePasswordResetCode", request));
    expect(await consume({ code, newPassword: "short" })).toEqual(invalid("new_password", "PASSWORD_TOO_SHORT"));
    expect(await consume({ code, newPassword: "p".repeat(129) })).toEqual(invalid("new_password", "PASSWORD_TOO_LONG"));
    expect(await consume({ code, newPassword: "qwerty123" })).toEqual(invalid("new_password", "PASSWORD_TOO_COMMON"));
    expect(await consume({ newPassword: "orchid-lantern-9" })).toEqual(invalid("code"));
    expect(await consume({ code: "c".repeat(257), newPassword: "orchid-lantern-9" })).toEqual(invalid("code"));
    expect(await consume({ code: "unknown-code", newPassword: "orchid-lantern-9" })).toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
      reason: "RESET_CODE_INVALID",
    });
    await callUsers("verifyPassword", { userId: user.id, password: secret });
    await lock(user.id);
    expect(
      (await callUsers<UserReply>("consumePasswordResetCode", { code, newPassword: "orchid-lantern-9" })).user
        .lockExpireTime,
    ).toBeNull();
    await callUsers("verifyPassword", { userId: user.id, password: "orchid-lantern-9" });
  });
});

describe("identities", () => {
  it("when linking again, another of a target, or to an unknown user then details are replaced or the documented error", async () => {
    const user = await newUser();
    const link = (identity: object, userId = user.id) =>
      callUsers<{ identity: { details: PlainStruct } }>("linkIdentity", { userId, identity });
    const google = { target: "google", providerUserId: unique("g-") };
    await link({ ...google, details: struct({ email: "old@example.com" }) });
    expect(jsonOf((await link({ ...google, details: struct({ email: "new@example.com" }) })).identity.details)).toEqual(
      { email: "new@example.com" },
    );
    expect(await failureOf(() => link({ target: "google", providerUserId: unique("g-") }))).toMatchObject({
      code: grpc.status.ALREADY_EXISTS,
      reason: "IDENTITY_TARGET_LINKED",
    });
    expect(await failureOf(() => link(google, "no-such-user"))).toMatchObject(userNotFound);
  });

  it("when a user has 20 identities then a 21st is IDENTITY_LIMIT_REACHED and all 20 page in target order", async () => {
    const user = await newUser();
    const targets = Array.from({ length: 20 }, (_, i) => `idp-${String(i).padStart(2, "0")}`);
    for (const target of targets)
      await callUsers("linkIdentity", { userId: user.id, identity: { target, providerUserId: unique("p-") } });
    const more = { userId: user.id, identity: { target: "one-too-many", providerUserId: unique("p-") } };
    expect(await failureOf(() => callUsers("linkIdentity", more))).toMatchObject({
      code: grpc.status.RESOURCE_EXHAUSTED,
      reason: "IDENTITY_LIMIT_REACHED",
    });
    const page = await callUsers<{ identities: { target: string }[]; totalSize: number; nextPageToken: string }>(
      "listIdentities",
      { userId: user.id, pageSize: 15 },
    );
    const rest = await callUsers<{ identities: { target: string }[] }>("listIdentities", {
      userId: user.id,
      pageSize: 15,
      pageToken: page.nextPageToken,
    });
    expect(page.totalSize).toBe(20);
    expect([...page.identities, ...rest.identities].map((i) => i.target)).toEqual(targets);
  });

  it("when input is missing or malformed or the user unknown then the field is named and nothing is linked", async () => {
    const user = await newUser();
    const link = (request: object) => failureOf(() => callUsers("linkIdentity", { userId: user.id, ...request }));
    expect(await link({})).toEqual(invalid("identity"));
    expect(await link({ identity: { target: "github" } })).toEqual(invalid("identity.provider_user_id"));
    expect(await link({ identity: { target: "github", providerUserId: "p".repeat(257) } })).toEqual(
      invalid("identity.provider_user_id"),
    );
    expect(
      await link({
        identity: { target: "github", providerUserId: "x", details: struct({ blob: "x".repeat(70_000) }) },
      }),
    ).toEqual(invalid("identity.details", "CUSTOM_DATA_TOO_LARGE"));
    expect(await link({ userId: "", identity: { target: "github", providerUserId: "x" } })).toEqual(invalid("user_id"));
    expect((await callUsers<{ totalSize: number }>("listIdentities", { userId: user.id })).totalSize).toBe(0);
    expect(await failureOf(() => callUsers("listIdentities", { userId: "no-such-user" }))).toMatchObject(userNotFound);
    expect(await failureOf(() => callUsers("listIdentities", { userId: user.id, pageToken: "garbage" }))).toMatchObject(
      { reason: "INVALID_PAGE_TOKEN", fields: ["page_token"] },
    );
    expect(
      await failureOf(() => callUsers("unlinkIdentity", { userId: "no-such-user", target: "github" })),
    ).toMatchObject(userNotFound);
    expect(await failureOf(() => callUsers("unlinkIdentity", { userId: user.id }))).toEqual(invalid("target"));
    expect(await failureOf(() => callUsers("unlinkIdentity", { userId: user.id, target: "github" }))).toMatchObject({
      code: grpc.status.NOT_FOUND,
      reason: "IDENTITY_NOT_FOUND",
    });
  });
});

describe("user logs", () => {
  it("when listing with event and time filters then only matching entries come; bad filters name the field", async () => {
    const user = await newUser();
    const before = new Date(Date.now() - 60_000).toISOString();
    await callUsers("suspendUser", { userId: user.id });
    const list = (request: object) => callUsers<LogsReply>("listUserLogs", { userId: user.id, ...request });
    const seconds = (iso: string) => ({ seconds: String(Math.floor(Date.parse(iso) / 1000)) });
    expect((await list({ events: ["USER_LOG_EVENT_USER_SUSPENDED"] })).userLogs.map((l) => l.event)).toEqual([
      "USER_LOG_EVENT_USER_SUSPENDED",
    ]);
    expect((await list({ endTime: seconds(before) })).totalSize).toBe(0);
    expect((await list({ startTime: seconds(before) })).totalSize).toBe(2);
    const tooMany = Array.from({ length: 21 }, () => "USER_LOG_EVENT_USER_CREATED");
    expect(await failureOf(() => list({ events: tooMany }))).toEqual(invalid("events"));
    expect(await failureOf(() => callUsers("listUserLogs", {}))).toEqual(invalid("user_id"));
    expect(await failureOf(() => list({ pageSize: -1 }))).toEqual(invalid("page_size"));
  });

  it("when appending for a deleted user then it works; an oversized payload or missing result is refused and not written", async () => {
    const user = await newUser();
    await callUsers("deleteUser", { userId: user.id });
    const append = (request: object) =>
      callUsers(
        "appendUserLog",
        { userId: user.id, event: "USER_LOG_EVENT_PAT_REVOKED", result: "USER_LOG_RESULT_SUCCESS", ...request },
        stack.serviceKey,
      );
    expect(await failureOf(() => append({ payload: struct({ blob: "x".repeat(9_000) }) }))).toEqual(invalid("payload"));
    expect(await failureOf(() => append({ result: "USER_LOG_RESULT_UNSPECIFIED" }))).toEqual(invalid("result"));
    await append({});
    expect(await events(user.id)).toEqual(["PAT_REVOKED", "USER_DELETED", "USER_CREATED"]);
  });

  it("when watching with more than 20 event filters then the stream fails with INVALID_ARGUMENT naming events", async () => {
    const stream = serverStream(
      userClient,
      "watchUserLogs",
      { events: Array.from({ length: 21 }, () => "USER_LOG_EVENT_USER_CREATED") },
      bearer(stack.apiKey),
    );
    const code = await new Promise<number>((resolve) => {
      stream.on("data", () => undefined);
      stream.on("error", (err: grpc.ServiceError) => resolve(err.code));
    });
    expect(code).toBe(grpc.status.INVALID_ARGUMENT);
  });
});
