import { describe, expect, it } from "vitest";
import {
  detailedFailureOf,
  decodeDetails,
  jsonOf,
  nested,
  struct,
  type PlainAny,
  type PlainStruct,
} from "./helpers/contract.js";
import { grpc } from "./helpers/plain-grpc.js";
import { callUsers, failureOf, unique } from "./helpers/users.js";

// The UserService contract, RPC by RPC: each documented error, and bad input
// refused naming the field with nothing written (checked by reading back).

interface PlainUser {
  id: string;
  username: string;
  primaryEmail: string;
  primaryPhone: string;
  name: string;
  avatarUrl: string;
  profile: { givenName?: string; familyName?: string; nickname?: string; address?: { country?: string } | null };
  customData: PlainStruct | null;
  suspended: boolean;
  hasPassword: boolean;
}
interface UserReply {
  user: PlainUser;
}

const phone = () => `+4420${Math.floor(1e7 + Math.random() * 9e7)}`;
const newUser = async (fields: object = {}) =>
  (await callUsers<UserReply>("createUser", { username: unique("uc_"), ...fields })).user;
const readUser = async (id: string) => (await callUsers<UserReply>("getUser", { userId: id })).user;
const invalid = (field: string, reason = "INVALID_ARGUMENT") => ({
  code: grpc.status.INVALID_ARGUMENT,
  reason,
  fields: [field],
});
const userNotFound = { code: grpc.status.NOT_FOUND, reason: "USER_NOT_FOUND" };

describe("CreateUser", () => {
  it("when the email or phone is taken in another spelling then ALREADY_EXISTS names the field", async () => {
    const taken = await newUser({ primaryEmail: `${unique("e")}@example.com`, primaryPhone: phone() });
    const spaced = `00${taken.primaryPhone.slice(1, 3)} ${taken.primaryPhone.slice(3, 5)}-${taken.primaryPhone.slice(5)}`;
    expect(await failureOf(() => callUsers("createUser", { primaryEmail: taken.primaryEmail.toUpperCase() }))).toEqual({
      code: grpc.status.ALREADY_EXISTS,
      reason: "EMAIL_TAKEN",
      fields: ["primary_email"],
    });
    expect(await failureOf(() => callUsers("createUser", { primaryPhone: spaced }))).toEqual({
      code: grpc.status.ALREADY_EXISTS,
      reason: "PHONE_TAKEN",
      fields: ["primary_phone"],
    });
  });

  it("when a field is oversized or wrong-shaped then INVALID_ARGUMENT names it and no user is written", async () => {
    const username = unique("ucbad_");
    const cases: [object, ReturnType<typeof invalid>][] = [
      [{ username, password: "p".repeat(129) }, invalid("password", "PASSWORD_TOO_LONG")],
      [{ username, name: "n".repeat(257) }, invalid("name")],
      [{ username, avatarUrl: "ftp://example.com/a.png" }, invalid("avatar_url")],
      [{ username, profile: { birthdate: "12/31/1990" } }, invalid("profile.birthdate")],
      [{ username, profile: { nickname: "n".repeat(257) } }, invalid("profile.nickname")],
      [{ username, customData: struct(nested(9)) }, invalid("custom_data", "CUSTOM_DATA_TOO_LARGE")],
      [{ username, customData: struct({ blob: "x".repeat(70_000) }) }, invalid("custom_data", "CUSTOM_DATA_TOO_LARGE")],
      [
        { username, passwordDigest: { algorithm: "PASSWORD_ALGORITHM_BCRYPT", encodedDigest: "$2b$10$short" } },
        invalid("password_digest", "INVALID_PASSWORD_DIGEST"),
      ],
      [
        { username, passwordDigest: { encodedDigest: "0".repeat(32) } },
        invalid("password_digest.algorithm", "INVALID_PASSWORD_DIGEST"),
      ],
      [{ username: "u".repeat(129) }, invalid("username")],
    ];
    for (const [request, expected] of cases)
      expect(await failureOf(() => callUsers("createUser", request))).toEqual(expected);
    expect(await failureOf(() => callUsers("getUserByIdentifier", { username }))).toMatchObject(userNotFound);
  });

  it("when a legacy md5 digest is imported then the password verifies and is rehashed to argon2id on the way", async () => {
    const { createHash } = await import("node:crypto");
    const user = await newUser({
      passwordDigest: {
        algorithm: "PASSWORD_ALGORITHM_MD5",
        encodedDigest: createHash("md5").update("saltlegacy-secret").digest("hex"),
        salt: "salt",
        saltPosition: "SALT_POSITION_PREFIX",
      },
    });
    expect(user.hasPassword).toBe(true);
    await callUsers("verifyPassword", { userId: user.id, password: "legacy-secret" });
    await callUsers("verifyPassword", { userId: user.id, password: "legacy-secret" });
    const logs = await callUsers<{ userLogs: { payload: PlainStruct }[] }>("listUserLogs", {
      userId: user.id,
      events: ["USER_LOG_EVENT_SIGN_IN_SUCCEEDED"],
    });
    expect(logs.userLogs.map((l) => jsonOf(l.payload))).toEqual([{}, { rehashedFrom: "md5" }]);
  });
});

describe("GetUserByIdentifier", () => {
  it("when looked up in another case or phone format then the normalised identifier finds the user", async () => {
    const username = unique("MiXeD_");
    const user = await newUser({ username, primaryEmail: `${username}@Example.COM`, primaryPhone: phone() });
    const national = user.primaryPhone.slice(3);
    const lookups = [
      { username: username.toLowerCase() },
      { username: username.toUpperCase() },
      { email: `  ${username.toUpperCase()}@example.com ` },
      { phone: `0044 (${national.slice(0, 2)}) ${national.slice(2, 6)}-${national.slice(6)}` },
      { phone: `+44.${national}` },
    ];
    for (const identifier of lookups)
      expect((await callUsers<UserReply>("getUserByIdentifier", identifier)).user.id).toBe(user.id);
  });

  it("when no identifier, a malformed one or an unknown one is given then INVALID_ARGUMENT or NOT_FOUND", async () => {
    expect(await failureOf(() => callUsers("getUserByIdentifier", {}))).toEqual(invalid("identifier"));
    expect(await failureOf(() => callUsers("getUserByIdentifier", { phone: "12345" }))).toEqual(invalid("phone"));
    expect(
      await failureOf(() => callUsers("getUserByIdentifier", { email: `${unique("ghost")}@example.com` })),
    ).toMatchObject(userNotFound);
  });
});

describe("ImportUsers", () => {
  it("when one item is good, one a duplicate and one invalid then each gets its own result with CreateUser's details", async () => {
    const existing = await newUser();
    const fresh = unique("imp_");
    const broken = unique("imp_");
    const { results } = await callUsers<{
      results: { user?: PlainUser | null; error?: { code: number; details: PlainAny[] } | null }[];
    }>("importUsers", {
      requests: [
        { username: fresh },
        { username: existing.username.toUpperCase() },
        { username: broken, primaryEmail: "not-an-email" },
      ],
    });
    expect(results[0]?.user?.username).toBe(fresh);
    const [duplicate, bad] = [results[1]?.error, results[2]?.error];
    expect({ code: duplicate?.code, ...decodeDetails(duplicate?.details ?? []) }).toMatchObject({
      code: grpc.status.ALREADY_EXISTS,
      reason: "USERNAME_TAKEN",
      fields: ["username"],
    });
    expect({ code: bad?.code, ...decodeDetails(bad?.details ?? []) }).toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      fields: ["primary_email"],
    });
    expect((await callUsers<UserReply>("getUserByIdentifier", { username: fresh })).user.id).toBe(results[0]?.user?.id);
    expect(await failureOf(() => callUsers("getUserByIdentifier", { username: broken }))).toMatchObject(userNotFound);
  });

  it("when more than 1,000 items are sent then INVALID_ARGUMENT names requests and nothing is created", async () => {
    const username = unique("imp_");
    const requests = Array.from({ length: 1_001 }, (_, i) => (i === 0 ? { username } : {}));
    expect(await failureOf(() => callUsers("importUsers", { requests }))).toEqual(invalid("requests"));
    expect(await failureOf(() => callUsers("getUserByIdentifier", { username }))).toMatchObject(userNotFound);
  });
});

describe("UpdateUser", () => {
  const full = () => ({
    primaryEmail: `${unique("upd")}@example.com`,
    primaryPhone: phone(),
    name: "Ada",
    avatarUrl: "https://example.com/a.png",
    profile: { givenName: "Ada", familyName: "Lovelace", address: { country: "UK" } },
    customData: struct({ plan: "pro", prefs: { theme: "dark" } }),
  });

  it("when the mask names one field then every unmasked field is untouched, even if the request holds other values", async () => {
    const user = await newUser(full());
    const other = {
      username: "bad name",
      primaryEmail: "not-an-email",
      primaryPhone: "1",
      avatarUrl: "nope",
      profile: { givenName: "X" },
      customData: struct({}),
    };
    await callUsers("updateUser", { user: { id: user.id, ...other, name: "Ada L." }, updateMask: { paths: ["name"] } });
    const after = await readUser(user.id);
    expect(after).toMatchObject({
      name: "Ada L.",
      username: user.username,
      primaryEmail: user.primaryEmail,
      primaryPhone: user.primaryPhone,
      avatarUrl: user.avatarUrl,
    });
    expect(after.profile).toMatchObject({ givenName: "Ada", familyName: "Lovelace", address: { country: "UK" } });
    expect(jsonOf(after.customData)).toEqual({ plan: "pro", prefs: { theme: "dark" } });
  });

  it("when the mask names a profile claim or an empty field then only that claim changes or the field clears", async () => {
    const user = await newUser(full());
    await callUsers("updateUser", {
      user: { id: user.id, profile: { givenName: "Augusta" } },
      updateMask: { paths: ["profile.given_name", "primary_email"] },
    });
    const after = await readUser(user.id);
    expect(after.profile).toMatchObject({ givenName: "Augusta", familyName: "Lovelace" });
    expect(after.primaryEmail).toBe("");
  });

  it("when the new identifier is taken then ALREADY_EXISTS names it under user and nothing changes", async () => {
    const [taken, user] = [await newUser(full()), await newUser(full())];
    const take = (paths: string[], values: object) =>
      failureOf(() =>
        callUsers("updateUser", {
          user: { id: user.id, name: "Changed", ...values },
          updateMask: { paths: ["name", ...paths] },
        }),
      );
    expect(await take(["primary_email"], { primaryEmail: taken.primaryEmail })).toEqual({
      code: grpc.status.ALREADY_EXISTS,
      reason: "EMAIL_TAKEN",
      fields: ["user.primary_email"],
    });
    expect(await take(["primary_phone"], { primaryPhone: taken.primaryPhone })).toEqual({
      code: grpc.status.ALREADY_EXISTS,
      reason: "PHONE_TAKEN",
      fields: ["user.primary_phone"],
    });
    expect(await take(["username"], { username: taken.username })).toEqual({
      code: grpc.status.ALREADY_EXISTS,
      reason: "USERNAME_TAKEN",
      fields: ["user.username"],
    });
    expect((await readUser(user.id)).name).toBe("Ada");
  });

  it("when the request is incomplete, the mask bad or a masked value malformed then INVALID_ARGUMENT and nothing changes", async () => {
    const user = await newUser(full());
    const update = (request: object) => failureOf(() => callUsers("updateUser", request));
    expect(await update({ updateMask: { paths: ["name"] } })).toEqual(invalid("user"));
    expect(await update({ user: { name: "x" }, updateMask: { paths: ["name"] } })).toEqual(invalid("user.id"));
    expect(await update({ user: { id: user.id, name: "x" } })).toEqual(invalid("update_mask", "INVALID_UPDATE_MASK"));
    expect(await update({ user: { id: user.id, name: "x" }, updateMask: { paths: ["*"] } })).toEqual(
      invalid("update_mask", "INVALID_UPDATE_MASK"),
    );
    expect(
      await update({
        user: { id: user.id, name: "x", primaryEmail: "nope" },
        updateMask: { paths: ["name", "primary_email"] },
      }),
    ).toEqual(invalid("user.primary_email"));
    expect(
      await update({ user: { id: user.id, customData: struct(nested(9)) }, updateMask: { paths: ["custom_data"] } }),
    ).toEqual(invalid("user.custom_data", "CUSTOM_DATA_TOO_LARGE"));
    expect((await readUser(user.id)).name).toBe("Ada");
    expect(await update({ user: { id: "no-such-user", name: "x" }, updateMask: { paths: ["name"] } })).toMatchObject(
      userNotFound,
    );
  });
});

describe("UpdateUserProfile and UpdateUserCustomData", () => {
  it("when the profile is missing, oversized or the user unknown then the error names it and nothing changes", async () => {
    const user = await newUser({ profile: { nickname: "ada" } });
    expect(await failureOf(() => callUsers("updateUserProfile", { userId: user.id }))).toEqual(invalid("profile"));
    expect(
      await failureOf(() =>
        callUsers("updateUserProfile", { userId: user.id, profile: { nickname: "n".repeat(257) } }),
      ),
    ).toEqual(invalid("profile.nickname"));
    expect(
      await failureOf(() => callUsers("updateUserProfile", { userId: "no-such-user", profile: { nickname: "x" } })),
    ).toMatchObject(userNotFound);
    expect((await readUser(user.id)).profile.nickname).toBe("ada");
  });

  it("when merged with nulls then those keys go, nested ones too, and the rest stays", async () => {
    const user = await newUser({ customData: struct({ a: 1, b: { c: 2, d: 3 }, e: [1, 2] }) });
    const { user: merged } = await callUsers<UserReply>("updateUserCustomData", {
      userId: user.id,
      customData: struct({ a: null, b: { c: null, f: "new" }, g: true }),
    });
    expect(jsonOf(merged.customData)).toEqual({ b: { d: 3, f: "new" }, e: [1, 2], g: true });
    expect(jsonOf((await readUser(user.id)).customData)).toEqual({ b: { d: 3, f: "new" }, e: [1, 2], g: true });
  });

  it("when the patch or the merged result is too deep or too large then CUSTOM_DATA_TOO_LARGE names custom_data and nothing changes", async () => {
    const user = await newUser({ customData: struct({ big: "x".repeat(40_000) }) });
    const merge = (customData: object, userId = user.id) =>
      failureOf(() => callUsers("updateUserCustomData", { userId, customData }));
    expect(await merge(struct(nested(9)))).toEqual(invalid("custom_data", "CUSTOM_DATA_TOO_LARGE"));
    expect(await merge(struct({ blob: "y".repeat(70_000) }))).toEqual(invalid("custom_data", "CUSTOM_DATA_TOO_LARGE"));
    expect(await merge(struct({ more: "y".repeat(30_000) }))).toEqual(invalid("custom_data", "CUSTOM_DATA_TOO_LARGE"));
    expect(await merge(struct({ $where: 1 }))).toEqual(invalid("custom_data"));
    expect(await failureOf(() => callUsers("updateUserCustomData", { userId: user.id }))).toEqual(
      invalid("custom_data"),
    );
    expect(await merge(struct({ a: 1 }), "no-such-user")).toMatchObject(userNotFound);
    expect(Object.keys(jsonOf((await readUser(user.id)).customData))).toEqual(["big"]);
  });
});

describe("SuspendUser and UnsuspendUser", () => {
  it("when repeated then each is idempotent and logs only state changes; a long reason or unknown user is refused", async () => {
    const user = await newUser();
    expect(await failureOf(() => callUsers("suspendUser", { userId: user.id, reason: "r".repeat(1_025) }))).toEqual(
      invalid("reason"),
    );
    expect((await readUser(user.id)).suspended).toBe(false);
    for (let i = 0; i < 2; i++)
      expect((await callUsers<UserReply>("suspendUser", { userId: user.id, reason: "abuse" })).user.suspended).toBe(
        true,
      );
    for (let i = 0; i < 2; i++)
      expect((await callUsers<UserReply>("unsuspendUser", { userId: user.id })).user.suspended).toBe(false);
    const logs = await callUsers<{ userLogs: { event: string }[] }>("listUserLogs", { userId: user.id });
    expect(logs.userLogs.map((l) => l.event)).toEqual([
      "USER_LOG_EVENT_USER_UNSUSPENDED",
      "USER_LOG_EVENT_USER_SUSPENDED",
      "USER_LOG_EVENT_USER_CREATED",
    ]);
    for (const method of ["suspendUser", "unsuspendUser", "deleteUser"]) {
      expect(await failureOf(() => callUsers(method, { userId: "no-such-user" }))).toMatchObject(userNotFound);
      expect(await failureOf(() => callUsers(method, {}))).toEqual(invalid("user_id"));
    }
  });
});

describe("SearchUsers bad input", () => {
  it("when the query is too long, a regex too long, filters too many or the page size negative then INVALID_ARGUMENT", async () => {
    const search = (request: object) => detailedFailureOf(() => callUsers("searchUsers", request));
    expect(await search({ query: "q".repeat(257) })).toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      fields: ["query"],
    });
    expect(
      await search({
        filter: { text: { field: "TEXT_FIELD_NAME", mode: "TEXT_MATCH_MODE_REGEX", value: "a".repeat(300) } },
      }),
    ).toMatchObject({ reason: "REGEX_REJECTED", fields: ["filter.text.value"] });
    const or = { or: { filters: Array.from({ length: 18 }, () => ({ suspended: true })) } };
    const many = { and: { filters: [or, or, or] } };
    expect(await search({ filter: many })).toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      reason: "FILTER_TOO_COMPLEX",
    });
    expect(await search({ pageToken: "not-a-token" })).toMatchObject({
      reason: "INVALID_PAGE_TOKEN",
      fields: ["page_token"],
    });
  });
});
