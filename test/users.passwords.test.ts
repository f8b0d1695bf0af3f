import { describe, expect, it } from "vitest";
import { jsonOf, type PlainStruct } from "./helpers/contract.js";
import { bearer, grpc, plainClient, unary } from "./helpers/plain-grpc.js";
import { stackInfo } from "./helpers/stack-info.js";
import { callUsers, failureOf, unique } from "./helpers/users.js";
import { startExtraUserService } from "./helpers/extra-services.js";

interface UserReply {
  user: { id: string; lastSignInTime: unknown; lockExpireTime: unknown };
}
interface LogsReply {
  userLogs: { payload: PlainStruct }[];
}

const tally = (values: unknown[]) =>
  values.reduce<Record<string, number>>((acc, v) => ({ ...acc, [String(v)]: (acc[String(v)] ?? 0) + 1 }), {});
const failedSignInReasons = async (userId: string) =>
  (
    await callUsers<LogsReply>("listUserLogs", { userId, events: ["USER_LOG_EVENT_SIGN_IN_FAILED"], pageSize: 100 })
  ).userLogs.map((l) => jsonOf(l.payload).reason);

describe("passwords", () => {
  it("when verified by identifier then success sets last_sign_in_time; wrong and unknown look alike", async () => {
    const username = unique("pw_");
    const { user } = await callUsers<UserReply>("createUser", { username, password: "tangerine-kettle" });
    const ok = await callUsers<UserReply>("verifyPassword", {
      username: username.toUpperCase(),
      password: "tangerine-kettle",
    });
    expect(ok.user.lastSignInTime).not.toBeNull();
    expect(
      await failureOf(() => callUsers("verifyPassword", { userId: user.id, password: "wrong-one" })),
    ).toMatchObject({ code: grpc.status.UNAUTHENTICATED, reason: "INVALID_PASSWORD" });
    expect(
      await failureOf(() => callUsers("verifyPassword", { username: unique("ghost_"), password: "x" })),
    ).toMatchObject({ code: grpc.status.UNAUTHENTICATED, reason: "INVALID_PASSWORD" });
    expect(await failureOf(() => callUsers("verifyPassword", { password: "x" }))).toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      fields: ["user"],
    });
  });

  it("when a suspended user verifies then FAILED_PRECONDITION USER_SUSPENDED, and unsuspending restores it", async () => {
    const { user } = await callUsers<UserReply>("createUser", {
      username: unique("sus_"),
      password: "tangerine-kettle",
    });
    await callUsers("suspendUser", { userId: user.id, reason: "abuse" });
    expect(
      await failureOf(() => callUsers("verifyPassword", { userId: user.id, password: "tangerine-kettle" })),
    ).toMatchObject({ code: grpc.status.FAILED_PRECONDITION, reason: "USER_SUSPENDED" });
    await callUsers("unsuspendUser", { userId: user.id });
    await callUsers("verifyPassword", { userId: user.id, password: "tangerine-kettle" });
  });

  it("when failures reach the threshold then USER_LOCKED until UnlockUser", async () => {
    const { user } = await callUsers<UserReply>("createUser", {
      username: unique("lock_"),
      password: "tangerine-kettle",
    });
    for (let i = 0; i < 5; i++)
      await failureOf(() => callUsers("verifyPassword", { userId: user.id, password: "bad-guess" }));
    expect(
      await failureOf(() => callUsers("verifyPassword", { userId: user.id, password: "tangerine-kettle" })),
    ).toMatchObject({ code: grpc.status.FAILED_PRECONDITION, reason: "USER_LOCKED" });
    expect((await callUsers<UserReply>("getUser", { userId: user.id })).user.lockExpireTime).not.toBeNull();
    await callUsers("unlockUser", { userId: user.id });
    await callUsers("verifyPassword", { userId: user.id, password: "tangerine-kettle" });
  });

  it("when the fifth wrong password reaches the threshold then it still answers INVALID_PASSWORD, and the lock shows from the sixth attempt on", async () => {
    const { user } = await callUsers<UserReply>("createUser", {
      username: unique("lock6_"),
      password: "tangerine-kettle",
    });
    const answers: unknown[] = [];
    for (let i = 0; i < 5; i++)
      answers.push(
        (await failureOf(() => callUsers("verifyPassword", { userId: user.id, password: "bad-guess" }))).reason,
      );
    expect(answers).toEqual(Array(5).fill("INVALID_PASSWORD"));
    expect((await callUsers<UserReply>("getUser", { userId: user.id })).user.lockExpireTime).not.toBeNull();
    expect(
      await failureOf(() => callUsers("verifyPassword", { userId: user.id, password: "tangerine-kettle" })),
    ).toMatchObject({ code: grpc.status.FAILED_PRECONDITION, reason: "USER_LOCKED" });
  });

  it("when a reset code is consumed then the new password works and the code is spent", async () => {
    const { user } = await callUsers<UserReply>("createUser", { username: unique("rst_") });
    const { code } = await callUsers<{ code: string }>("createPasswordResetCode", { userId: user.id });
    await callUsers("consumePasswordResetCode", { code, newPassword: "orchid-lantern-9" });
    expect(
      await failureOf(() => callUsers("consumePasswordResetCode", { code, newPassword: "orchid-lantern-9" })),
    ).toMatchObject({ code: grpc.status.UNAUTHENTICATED, reason: "RESET_CODE_INVALID" });
    await callUsers("verifyPassword", { userId: user.id, password: "orchid-lantern-9" });
    await callUsers("setPassword", { userId: user.id, password: "another-fine-one" });
    await callUsers("verifyPassword", { userId: user.id, password: "another-fine-one" });
  });

  // The stack runs with the default LOCKOUT_THRESHOLD of 5.
  it("when 50 wrong passwords arrive at once then 5 are checked and the other 45 answer USER_LOCKED", async () => {
    const { user } = await callUsers<UserReply>("createUser", {
      username: unique("par_"),
      password: "tangerine-kettle",
    });
    const guesses = Array.from({ length: 50 }, () =>
      failureOf(() => callUsers("verifyPassword", { userId: user.id, password: "bad-guess" })),
    );
    expect(tally((await Promise.all(guesses)).map((f) => f.reason))).toEqual({ INVALID_PASSWORD: 5, USER_LOCKED: 45 });
    expect(tally(await failedSignInReasons(user.id))).toEqual({ INVALID_CREDENTIALS: 5, USER_LOCKED: 45 });
    expect((await callUsers<UserReply>("getUser", { userId: user.id })).user.lockExpireTime).not.toBeNull();
  });

  it("when the right password is sent while 50 wrong ones are in flight and one was refused then it answers USER_LOCKED", async () => {
    const username = unique("hid_");
    const { user } = await callUsers<UserReply>("createUser", { username, password: "tangerine-kettle" });
    const guesses = Array.from({ length: 50 }, () =>
      failureOf(() => callUsers("verifyPassword", { username, password: "bad-guess" })),
    );
    await Promise.race(guesses);
    const right = await failureOf(() => callUsers("verifyPassword", { username, password: "tangerine-kettle" }));
    expect(right).toMatchObject({ code: grpc.status.FAILED_PRECONDITION, reason: "USER_LOCKED" });
    expect(tally((await Promise.all(guesses)).map((f) => f.reason))).toEqual({ INVALID_PASSWORD: 5, USER_LOCKED: 45 });
    expect((await callUsers<UserReply>("getUser", { userId: user.id })).user.lastSignInTime).toBeNull();
  });

  it("when 50 wrong passwords are split over two user-service instances then still only 5 are checked", async () => {
    const stack = stackInfo();
    const second = await startExtraUserService(stack);
    const secondClient = plainClient(
      "roster/user/v1/user_service.proto",
      "roster.user.v1.UserService",
      second.grpcPort,
    );
    try {
      const { user } = await callUsers<UserReply>("createUser", {
        username: unique("two_"),
        password: "tangerine-kettle",
      });
      const request = { userId: user.id, password: "bad-guess" };
      const guesses = Array.from({ length: 50 }, (_, i) =>
        failureOf(() =>
          i % 2 === 0
            ? callUsers("verifyPassword", request)
            : unary(secondClient, "verifyPassword", request, bearer(stack.apiKey)),
        ),
      );
      expect(tally((await Promise.all(guesses)).map((f) => f.reason))).toEqual({
        INVALID_PASSWORD: 5,
        USER_LOCKED: 45,
      });
      expect(tally(await failedSignInReasons(user.id))).toEqual({ INVALID_CREDENTIALS: 5, USER_LOCKED: 45 });
    } finally {
      secondClient.close();
      await second.stop();
    }
  });
});
