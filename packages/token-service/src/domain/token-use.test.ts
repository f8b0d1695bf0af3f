import { isDomainError } from "@roster/runtime/domain-error";
import type { Db } from "mongodb";
import { beforeEach, describe, expect, it } from "vitest";
import { createAccessTokens } from "../crypto/access-tokens.js";
import { createPatRepository } from "../storage/pat-repository.js";
import { fakeUserDirectory, silentLogger, testKeyRing, useTestMongo } from "../test-support.js";
import { generatePatSecret } from "./pat-secret.js";
import { createPatManagement } from "./pats.js";
import { createTokenUse } from "./token-use.js";

const mongo = useTestMongo();
let db: Db;
let users: ReturnType<typeof fakeUserDirectory>;
let pats: ReturnType<typeof createPatManagement>;
let use: ReturnType<typeof createTokenUse>;
let clock: Date;


beforeEach(async () => {
  db = mongo.db;
  clock = new Date();
  users = fakeUserDirectory();
  users.users.set("u1", { id: "u1", username: "ada", suspended: false });
  users.permissions.set("u1", ["orders:read", "orders:write"]);
  const keyRing = testKeyRing(db);
  await keyRing.initialise();
  const accessTokens = createAccessTokens({ keyRing, issuer: "roster", audience: "roster", ttlSeconds: 900 });
  const common = { store: createPatRepository(db), users, pepper: undefined, logger: silentLogger, now: () => clock };
  pats = createPatManagement({ ...common, maxTokensPerUser: 10 });
  use = createTokenUse({ ...common, accessTokens, issuer: "roster" });
});

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "OK";
  } catch (err) {
    if (!isDomainError(err)) throw err;
    return `${err.kind}/${err.reason}`;
  }
}

describe("exchange", () => {
  it("when exchanged then the grant is requested ∩ PAT scopes ∩ permissions and the exchange is logged", async () => {
    const { secret, record } = await pats.create({ userId: "u1", name: "ci", expireTime: undefined, scopes: ["orders:read", "billing:read"] });
    const result = await use.exchange({ secret, scopes: [] });
    expect(result.scopes).toEqual(["orders:read"]);
    const introspected = await use.introspect({ token: result.accessToken });
    expect(introspected).toMatchObject({ active: true, sub: "u1", username: "ada", clientId: record.id, tokenType: "access_token", scope: "orders:read" });
    expect(users.logs.at(-1)).toMatchObject({ event: "pat-exchanged", success: true, payload: { token_id: record.id } });
  });

  it("when the token is malformed, unknown, expired, or its user suspended or gone then each has its reason", async () => {
    const { secret } = await pats.create({ userId: "u1", name: "ci", expireTime: new Date(clock.getTime() + 60_000), scopes: [] });
    expect(await refusal(use.exchange({ secret: secret.slice(0, -1) + (secret.endsWith("a") ? "b" : "a"), scopes: [] }))).toBe(
      "unauthenticated/TOKEN_MALFORMED",
    );
    expect(await refusal(use.exchange({ secret: generatePatSecret(), scopes: [] }))).toBe("unauthenticated/TOKEN_INVALID");
    users.users.set("u1", { id: "u1", username: "ada", suspended: true });
    expect(await refusal(use.exchange({ secret, scopes: [] }))).toBe("unauthenticated/USER_SUSPENDED");
    expect(await use.introspect({ token: secret })).toEqual({ active: false });
    users.users.delete("u1");
    expect(await refusal(use.exchange({ secret, scopes: [] }))).toBe("unauthenticated/TOKEN_INVALID");
    users.users.set("u1", { id: "u1", username: "ada", suspended: false });
    clock = new Date(clock.getTime() + 120_000);
    expect(await refusal(use.exchange({ secret, scopes: [] }))).toBe("unauthenticated/TOKEN_EXPIRED");
    expect(users.logs.filter((l) => l.event === "pat-exchanged").map((l) => l.payload.reason)).toEqual([
      "USER_SUSPENDED",
      "TOKEN_INVALID",
      "TOKEN_EXPIRED",
    ]);
  });

  it("when the exchange cannot be logged then no access token is returned", async () => {
    const { secret } = await pats.create({ userId: "u1", name: "ci", expireTime: undefined, scopes: [] });
    users.failLogs = true;
    await expect(use.exchange({ secret, scopes: [] })).rejects.toThrow(/down/);
  });

  it("when used repeatedly within a minute then last use is written once", async () => {
    const { secret, record } = await pats.create({ userId: "u1", name: "ci", expireTime: undefined, scopes: [] });
    await use.introspect({ token: secret });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const first = (await pats.list({ userId: "u1", pageSize: 0, pageToken: "" })).records[0]?.lastUseTime;
    expect(first).toEqual(clock);
    clock = new Date(clock.getTime() + 30_000);
    await use.exchange({ secret, scopes: [] });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await pats.list({ userId: "u1", pageSize: 0, pageToken: "" })).records.find((r) => r.id === record.id)?.lastUseTime).toEqual(first);
  });
});

describe("introspect", () => {
  it("when a PAT is active then the RFC 7662 fields describe it", async () => {
    const { secret, record } = await pats.create({ userId: "u1", name: "ci", expireTime: undefined, scopes: ["orders:write"] });
    expect(await use.introspect({ token: secret })).toEqual({
      active: true,
      scope: "orders:write",
      clientId: record.id,
      username: "ada",
      tokenType: "personal_access_token",
      exp: 0,
      iat: Math.floor(record.createTime.getTime() / 1000),
      nbf: 0,
      sub: "u1",
      iss: "roster",
      jti: record.id,
    });
  });

  it("when the token is garbage or deleted then it is inactive, not an error", async () => {
    const { secret, record } = await pats.create({ userId: "u1", name: "ci", expireTime: undefined, scopes: [] });
    await pats.delete({ userId: "u1", id: record.id });
    expect(await use.introspect({ token: secret })).toEqual({ active: false });
    expect(await use.introspect({ token: "a.b.c" })).toEqual({ active: false });
    expect(await use.introspect({ token: "hello" })).toEqual({ active: false });
  });
});
