import { describe, expect, it } from "vitest";
import { createUserServiceClient, closeClient } from "@roster/client";
import { grpc } from "./helpers/plain-grpc.js";
import { stackInfo } from "./helpers/stack-info.js";
import { callUsers, failureOf, unique } from "./helpers/users.js";

const stack = stackInfo();
interface UserReply {
  user: {
    id: string;
    username: string;
    primaryEmail: string;
    primaryPhone: string;
    hasPassword: boolean;
    customData: unknown;
  };
}

describe("CreateUser and reads", () => {
  it("when a user is created over plain gRPC then it reads back by id and every identifier", async () => {
    const username = unique("Ada_");
    const { user } = await callUsers<UserReply>("createUser", {
      username,
      primaryEmail: `${username}@Example.com`,
      primaryPhone: `+44 20 ${Math.floor(1e7 + Math.random() * 9e7)}`,
      name: "Ada Lovelace",
      password: "tangerine-kettle",
    });
    expect(user).toMatchObject({ username, primaryEmail: `${username.toLowerCase()}@example.com`, hasPassword: true });
    expect((await callUsers<UserReply>("getUser", { userId: user.id })).user.id).toBe(user.id);
    for (const identifier of [
      { username: username.toUpperCase() },
      { email: user.primaryEmail.toUpperCase() },
      { phone: user.primaryPhone },
    ]) {
      expect((await callUsers<UserReply>("getUserByIdentifier", identifier)).user.id).toBe(user.id);
    }
  });

  it("when the username is taken in another case then ALREADY_EXISTS USERNAME_TAKEN names username", async () => {
    const username = unique("dup_");
    await callUsers("createUser", { username });
    expect(await failureOf(() => callUsers("createUser", { username: username.toUpperCase() }))).toEqual({
      code: grpc.status.ALREADY_EXISTS,
      reason: "USERNAME_TAKEN",
      fields: ["username"],
    });
  });

  it("when input is bad then INVALID_ARGUMENT names the field and nothing is written", async () => {
    const username = unique("bad_");
    const cases: [object, string, string][] = [
      [{ username, primaryEmail: "nope" }, "primary_email", "INVALID_ARGUMENT"],
      [{ username, primaryPhone: "0301234" }, "primary_phone", "INVALID_ARGUMENT"],
      [{ username, password: "password" }, "password", "PASSWORD_TOO_COMMON"],
      [{ username, password: "short" }, "password", "PASSWORD_TOO_SHORT"],
      [
        { username, passwordDigest: { algorithm: "PASSWORD_ALGORITHM_MD5", encodedDigest: "xyz" } },
        "password_digest",
        "INVALID_PASSWORD_DIGEST",
      ],
      [{ username: "has space" }, "username", "INVALID_ARGUMENT"],
      [{ username, customData: { fields: { $bad: { numberValue: 1 } } } }, "custom_data", "INVALID_ARGUMENT"],
    ];
    for (const [request, field, reason] of cases) {
      expect(await failureOf(() => callUsers("createUser", request))).toEqual({
        code: grpc.status.INVALID_ARGUMENT,
        reason,
        fields: [field],
      });
    }
    expect((await failureOf(() => callUsers("getUserByIdentifier", { username }))).reason).toBe("USER_NOT_FOUND");
  });

  it("when a user id is unknown or missing then NOT_FOUND or INVALID_ARGUMENT", async () => {
    expect(await failureOf(() => callUsers("getUser", { userId: "no-such-user" }))).toMatchObject({
      code: grpc.status.NOT_FOUND,
      reason: "USER_NOT_FOUND",
    });
    expect(await failureOf(() => callUsers("getUser", {}))).toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      fields: ["user_id"],
    });
  });

  it("when importing then each item gets its own result and one bad item does not sink the rest", async () => {
    const a = unique("imp_");
    const { results } = await callUsers<{ results: { user?: { username: string }; error?: { code: number } }[] }>(
      "importUsers",
      {
        requests: [{ username: a }, { username: a }, { username: "bad name" }, { username: unique("imp_") }],
      },
    );
    expect(results.map((r) => (r.user === undefined ? r.error?.code : "ok"))).toEqual([
      "ok",
      grpc.status.ALREADY_EXISTS,
      grpc.status.INVALID_ARGUMENT,
      "ok",
    ]);
    expect(await failureOf(() => callUsers("importUsers", { requests: [] }))).toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      fields: ["requests"],
    });
  });

  it("when updating with a field mask then only named paths change; a bad path names update_mask", async () => {
    const client = createUserServiceClient({
      transport: "grpc-js",
      address: `127.0.0.1:${stack.user.grpc}`,
      credential: stack.apiKey,
    });
    try {
      const { user } = await client.createUser({
        username: unique("upd_"),
        name: "Old",
        customData: { plan: "free", keep: true },
      });
      const { user: updated } = await client.updateUser({
        user: { id: user!.id, name: "New", username: "ignored" },
        updateMask: { paths: ["name"] },
      });
      expect(updated).toMatchObject({ name: "New", username: user!.username });
      const merged = await client.updateUserCustomData({ userId: user!.id, customData: { plan: null, tier: 2 } });
      expect(merged.user?.customData).toEqual({ keep: true, tier: 2 });
      const profiled = await client.updateUserProfile({
        userId: user!.id,
        profile: { givenName: "Ada", address: { country: "UK" } },
      });
      expect(profiled.user?.profile?.address?.country).toBe("UK");
      expect(
        await failureOf(() =>
          callUsers("updateUser", { user: { id: user!.id }, updateMask: { paths: ["create_time"] } }),
        ),
      ).toEqual({
        code: grpc.status.INVALID_ARGUMENT,
        reason: "INVALID_UPDATE_MASK",
        fields: ["update_mask"],
      });
    } finally {
      closeClient(client);
    }
  });

  it("when a user is deleted then it is gone and its logs remain", async () => {
    const { user } = await callUsers<UserReply>("createUser", { username: unique("del_") });
    await callUsers("deleteUser", { userId: user.id });
    expect((await failureOf(() => callUsers("getUser", { userId: user.id }))).code).toBe(grpc.status.NOT_FOUND);
    expect((await failureOf(() => callUsers("deleteUser", { userId: user.id }))).reason).toBe("USER_NOT_FOUND");
    const logs = await callUsers<{ userLogs: { event: string }[] }>("listUserLogs", { userId: user.id });
    expect(logs.userLogs.map((l) => l.event)).toEqual(["USER_LOG_EVENT_USER_DELETED", "USER_LOG_EVENT_USER_CREATED"]);
  });
});
