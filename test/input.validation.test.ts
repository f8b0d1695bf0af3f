import { afterAll, describe, expect, it } from "vitest";
import { TextField, TextMatchMode } from "@roster/client";
import type { JsonObject } from "@bufbuild/protobuf";
import { connectJson } from "./helpers/connect-json.js";
import { stackInfo } from "./helpers/stack-info.js";
import { refusalOf, rosterClients, uniqueName, userWithPermissions } from "./helpers/tokens.js";

// Every request value is checked before anything is written: timestamps
// outside RFC 3339's range and non-finite numbers are refused naming the field,
// so nothing is stored that GetUser, SearchUsers or a JSON listing cannot show.

const stack = stackInfo();
const clients = rosterClients(stack, stack.apiKey);
afterAll(() => clients.close());

const maxInt64 = 2n ** 63n - 1n;
const year10000 = 253_402_300_800n;
const outOfRange = (field: string) => ({ code: 3, reason: "TIMESTAMP_OUT_OF_RANGE", fields: [field] });

describe("timestamps outside years 0001-9999", () => {
  it("when CreatePersonalAccessToken gets expire_time.seconds = 2^63-1 or year 10000 then INVALID_ARGUMENT names it and no token is stored", async () => {
    const userId = await userWithPermissions(clients, []);
    for (const seconds of [maxInt64, year10000, -62_135_596_801n]) {
      const name = uniqueName("pat-");
      expect(
        await refusalOf(() => clients.tokens.createPersonalAccessToken({ userId, name, expireTime: { seconds } })),
      ).toEqual(outOfRange("expire_time"));
    }
    expect((await clients.tokens.listPersonalAccessTokens({ userId })).totalSize).toBe(0);
    const listed = await connectJson(
      stack.token.http,
      "/roster.token.v1.TokenService/ListPersonalAccessTokens",
      { userId },
      stack.apiKey,
    );
    expect(listed.status).toBe(200);
  });

  it("when UpdatePersonalAccessToken sets an expiry past 9999 then INVALID_ARGUMENT names it and the expiry is unchanged", async () => {
    const userId = await userWithPermissions(clients, []);
    const created = await clients.tokens.createPersonalAccessToken({ userId, name: uniqueName("pat-") });
    const id = created.personalAccessToken?.id ?? "";
    const update = () =>
      clients.tokens.updatePersonalAccessToken({
        personalAccessToken: { userId, id, expireTime: { seconds: year10000 } },
        updateMask: { paths: ["expire_time"] },
      });
    expect(await refusalOf(update)).toEqual(outOfRange("personal_access_token.expire_time"));
    const [listed] = (await clients.tokens.listPersonalAccessTokens({ userId })).personalAccessTokens;
    expect(listed?.expireTime).toBeUndefined();
  });

  it("when ListUserLogs or a SearchUsers time range has a bound outside the range then INVALID_ARGUMENT names that bound", async () => {
    const userId = await userWithPermissions(clients, []);
    expect(await refusalOf(() => clients.users.listUserLogs({ userId, startTime: { seconds: maxInt64 } }))).toEqual(
      outOfRange("start_time"),
    );
    expect(await refusalOf(() => clients.users.listUserLogs({ userId, endTime: { seconds: 0n, nanos: -1 } }))).toEqual(
      outOfRange("end_time"),
    );
    const filter = {
      filter: { case: "createTime" as const, value: { startTime: { seconds: 0n }, endTime: { seconds: year10000 } } },
    };
    expect(await refusalOf(() => clients.users.searchUsers({ filter }))).toEqual(
      outOfRange("filter.create_time.end_time"),
    );
  });
});

describe("non-finite numbers in Struct and Value", () => {
  const nonFinite = (field: string) => ({ code: 3, reason: "NON_FINITE_NUMBER", fields: [field] });

  it("when CreateUser's custom data holds NaN then INVALID_ARGUMENT names custom_data and no user is created", async () => {
    const username = uniqueName("nan");
    expect(await refusalOf(() => clients.users.createUser({ username, customData: { score: Number.NaN } }))).toEqual(
      nonFinite("custom_data"),
    );
    expect(
      await refusalOf(() => clients.users.getUserByIdentifier({ identifier: { case: "username", value: username } })),
    ).toMatchObject({
      code: 5,
    });
  });

  it("when custom data, identity details or a log payload get ±Infinity then each is refused and GetUser and SearchUsers still answer over JSON", async () => {
    const userId = await userWithPermissions(clients, []);
    const deep = { a: { b: [1, Number.POSITIVE_INFINITY] } };
    expect(await refusalOf(() => clients.users.updateUserCustomData({ userId, customData: deep }))).toEqual(
      nonFinite("custom_data"),
    );
    const identity = { target: "google", providerUserId: uniqueName("g"), details: { n: Number.NEGATIVE_INFINITY } };
    expect(await refusalOf(() => clients.users.linkIdentity({ userId, identity }))).toEqual(
      nonFinite("identity.details"),
    );
    const service = rosterClients(stack, stack.serviceKey);
    try {
      expect(
        await refusalOf(() => service.users.appendUserLog({ userId, event: 2, result: 1, payload: { x: Number.NaN } })),
      ).toEqual(nonFinite("payload"));
    } finally {
      service.close();
    }
    const got = await connectJson(stack.user.http, "/roster.user.v1.UserService/GetUser", { userId }, stack.apiKey);
    expect(got.status).toBe(200);
    const filter = { filter: { case: "ids" as const, value: { ids: [userId] } } };
    expect((await clients.users.searchUsers({ filter })).totalSize).toBe(1);
    const searched = await connectJson(
      stack.user.http,
      "/roster.user.v1.UserService/SearchUsers",
      { filter: { ids: { ids: [userId] } } },
      stack.apiKey,
    );
    expect(searched.status).toBe(200);
  });

  it("when a custom-data equality filter compares with NaN then INVALID_ARGUMENT names its value", async () => {
    const filter = {
      filter: {
        case: "customDataEquals" as const,
        value: { path: "score", value: { kind: { case: "numberValue" as const, value: Number.NaN } } },
      },
    };
    expect(await refusalOf(() => clients.users.searchUsers({ filter }))).toEqual(
      nonFinite("filter.custom_data_equals.value"),
    );
  });

  it("when a custom-data equality filter's value has no kind at some level then INVALID_ARGUMENT names its value", async () => {
    const empty = { kind: { case: undefined } };
    const inList = {
      kind: {
        case: "listValue" as const,
        value: { values: [{ kind: { case: "numberValue" as const, value: 1 } }, empty] },
      },
    };
    for (const value of [empty, inList]) {
      const filter = { filter: { case: "customDataEquals" as const, value: { path: "score", value } } };
      expect(await refusalOf(() => clients.users.searchUsers({ filter }))).toMatchObject({
        code: 3,
        fields: ["filter.custom_data_equals.value"],
      });
    }
  });

  it("when a similarity threshold is NaN then INVALID_ARGUMENT names it", async () => {
    const text = {
      field: TextField.NAME,
      mode: TextMatchMode.SIMILARITY,
      value: "ann",
      similarityThreshold: Number.NaN,
    };
    const refusal = await refusalOf(() =>
      clients.users.searchUsers({ filter: { filter: { case: "text", value: text } } }),
    );
    expect(refusal).toMatchObject({ code: 3, fields: ["filter.text.similarity_threshold"] });
  });
});

describe("__proto__ keys in free-form data", () => {
  // Decoded JSON keeps "__proto__" as a key; an object literal would set the prototype instead.
  const withProtoKey = (inner: string): JsonObject => JSON.parse(`{"__proto__": ${inner}, "plan": "free"}`);

  it("when custom data or identity details hold a __proto__ key then INVALID_ARGUMENT names the field and nothing is stored", async () => {
    const username = uniqueName("proto");
    const create = () => clients.users.createUser({ username, customData: withProtoKey('{"admin": true}') });
    expect(await refusalOf(create)).toMatchObject({ code: 3, fields: ["custom_data"] });
    expect(
      await refusalOf(() => clients.users.getUserByIdentifier({ identifier: { case: "username", value: username } })),
    ).toMatchObject({ code: 5 });

    const userId = await userWithPermissions(clients, []);
    await clients.users.updateUserCustomData({ userId, customData: { plan: "pro" } });
    const patch = () => clients.users.updateUserCustomData({ userId, customData: { nested: withProtoKey("1") } });
    expect(await refusalOf(patch)).toMatchObject({ code: 3, fields: ["custom_data"] });
    const identity = { target: "google", providerUserId: uniqueName("g"), details: withProtoKey("{}") };
    expect(await refusalOf(() => clients.users.linkIdentity({ userId, identity }))).toMatchObject({
      code: 3,
      fields: ["identity.details"],
    });
    const { user } = await clients.users.getUser({ userId });
    expect(user?.customData).toEqual({ plan: "pro" });
    expect(user?.identities).toEqual([]);
  });

  it("when a search names a __proto__ path segment or compares with such a key then INVALID_ARGUMENT names the field", async () => {
    const userId = await userWithPermissions(clients, []);
    await clients.users.updateUserCustomData({ userId, customData: { plan: "pro" } });
    const number = { kind: { case: "numberValue" as const, value: 1 } };
    // Each field of a Struct is a Value; decoded JSON keeps "__proto__" as a key.
    const fields = JSON.parse('{"__proto__": {"kind": {"case": "numberValue", "value": 1}}}');
    const struct = { kind: { case: "structValue" as const, value: { fields } } };
    const filters = [
      [{ case: "customDataEquals" as const, value: { path: "__proto__", value: number } }, "custom_data_equals.path"],
      [
        { case: "customDataEquals" as const, value: { path: "plan.__proto__", value: number } },
        "custom_data_equals.path",
      ],
      [{ case: "customDataEquals" as const, value: { path: "nested", value: struct } }, "custom_data_equals.value"],
      [
        {
          case: "text" as const,
          value: {
            field: TextField.CUSTOM_DATA,
            customDataPath: "__proto__.plan",
            mode: TextMatchMode.EXACT,
            value: "pro",
          },
        },
        "text.custom_data_path",
      ],
    ] as const;
    for (const [filter, field] of filters) {
      expect(await refusalOf(() => clients.users.searchUsers({ filter: { filter } }))).toMatchObject({
        code: 3,
        fields: [`filter.${field}`],
      });
    }
  });

  it("when a log payload holds a __proto__ key then INVALID_ARGUMENT names it and no entry is stored", async () => {
    const userId = await userWithPermissions(clients, []);
    const service = rosterClients(stack, stack.serviceKey);
    try {
      const entry = { userId, event: 2, result: 1 };
      const asStruct = () => service.users.appendUserLog({ ...entry, payload: { nested: withProtoKey("{}") } });
      expect(await refusalOf(asStruct)).toMatchObject({ code: 3, fields: ["payload"] });
      const asJson = () => service.users.appendUserLog({ ...entry, payloadJson: '{"a": {"__proto__": {"x": 1}}}' });
      expect(await refusalOf(asJson)).toMatchObject({ code: 3, fields: ["payload_json"] });
      const batch = () =>
        service.users.appendUserLogs({
          entries: [
            { ...entry, requestId: uniqueName("ok") },
            { ...entry, requestId: uniqueName("bad"), payload: withProtoKey("2") },
          ],
        });
      expect(await refusalOf(batch)).toMatchObject({ code: 3, fields: ["entries[1].payload"] });
      const { userLogs } = await service.users.listUserLogs({ userId });
      expect(userLogs.filter((log) => log.event === 2)).toEqual([]);
    } finally {
      service.close();
    }
  });
});

describe("imported password digests", () => {
  const argon2id = (params: string, salt: string, hash: string) => `$argon2id$v=19$${params}$${salt}$${hash}`;
  const goodSalt = "c29tZXNhbHRzb21lc2FsdA";
  const goodHash = "Y2hhbmdlLW1lLXBsZWFzZS1jaGFuZ2UtbWUtcGxlYXNl";

  it("when ImportUsers gets malformed argon2 PHC strings then each item fails with INVALID_PASSWORD_DIGEST and no user is stored", async () => {
    const malformed = [
      "$argon2id$nonsense",
      argon2id("m=65536,t=3,p=4", goodSalt, ""),
      argon2id("m=65536,t=3,p=4", "not*base64", goodHash),
      argon2id("m=65536,t=0,p=4", goodSalt, goodHash),
      argon2id("m=1,t=3,p=4", goodSalt, goodHash),
      argon2id("t=3,p=4", goodSalt, goodHash),
      "$argon2id$v=7$m=65536,t=3,p=4$" + `${goodSalt}$${goodHash}`,
    ];
    const usernames = malformed.map(() => uniqueName("dig"));
    const { results } = await clients.users.importUsers({
      requests: malformed.map((encodedDigest, i) => ({
        username: usernames[i],
        credential: { case: "passwordDigest" as const, value: { algorithm: 1, encodedDigest } },
      })),
    });
    expect(results.map((r) => (r.result.case === "error" ? r.result.value.code : "stored"))).toEqual(
      malformed.map(() => 3),
    );
    for (const username of usernames) {
      expect(
        await refusalOf(() => clients.users.getUserByIdentifier({ identifier: { case: "username", value: username } })),
      ).toMatchObject({ code: 5 });
    }
  });

  it("when ImportUsers gets a well-formed argon2id PHC string then the user is stored", async () => {
    const encodedDigest = argon2id("m=19456,t=2,p=1", goodSalt, goodHash);
    const { results } = await clients.users.importUsers({
      requests: [
        { username: uniqueName("dig"), credential: { case: "passwordDigest", value: { algorithm: 1, encodedDigest } } },
      ],
    });
    expect(results[0]?.result.case).toBe("user");
  });
});
