import { createCredentialThrottle, type AuthFailure } from "@roster/runtime";
import { beforeEach, describe, expect, it } from "vitest";
import { createAccessTokens } from "../crypto/access-tokens.js";
import { createPatRepository } from "../storage/pat-repository.js";
import {
  directAuditTrail,
  fakeUserDirectory,
  silentLogger,
  testKeyRing,
  testOrigin,
  unlimitedThrottle,
  useTestMongo,
} from "../testing.js";
import { domainOutcome } from "@roster/runtime/testing";
import { generatePatSecret } from "./pat-secret.js";
import { createPatManagement } from "./pats.js";
import { createExchangeAndIntrospection } from "./exchange-and-introspection.js";
import type { PatRecord } from "./pat-store.js";
import type { UserAccess } from "./user-directory.js";

const mongo = useTestMongo();
let db: typeof mongo.db;
let users: ReturnType<typeof fakeUserDirectory>;
let pats: ReturnType<typeof createPatManagement>;
let use: ReturnType<typeof createExchangeAndIntrospection>;
let clock: Date;
let deps: Omit<Parameters<typeof createExchangeAndIntrospection>[0], "exchangeThrottle" | "introspectionThrottle">;

const origin = testOrigin;

beforeEach(async () => {
  db = mongo.db;
  clock = new Date();
  users = fakeUserDirectory();
  users.users.set("u1", { id: "u1", username: "ada", suspended: false });
  users.permissions.set("u1", ["orders:read", "orders:write"]);
  const keyRing = testKeyRing(db);
  await keyRing.initialise();
  const accessTokens = createAccessTokens({ keyRing, issuer: "roster", audience: "roster", ttlSeconds: 900 });
  const common = {
    store: createPatRepository(db),
    users,
    audit: directAuditTrail(users),
    pepper: undefined,
    logger: silentLogger,
    now: () => clock,
  };
  pats = createPatManagement({ ...common, maxTokensPerUser: 10 });
  deps = { ...common, accessTokens, issuer: "roster" };
  use = createExchangeAndIntrospection({
    ...deps,
    exchangeThrottle: unlimitedThrottle,
    introspectionThrottle: unlimitedThrottle,
  });
});

describe("exchange", () => {
  it("when exchanged then the grant is requested ∩ PAT scopes ∩ permissions and the exchange is logged", async () => {
    const { secret, record } = await pats.create({
      userId: "u1",
      name: "ci",
      expireTime: undefined,
      scopes: ["orders:read", "billing:read"],
    });
    const result = await use.exchange({ secret, scopes: [] }, origin);
    expect(result.scopes).toEqual(["orders:read"]);
    const introspected = await use.introspect({ token: result.accessToken }, origin);
    expect(introspected).toMatchObject({
      active: true,
      sub: "u1",
      username: "ada",
      clientId: record.id,
      tokenType: "access_token",
      scope: "orders:read",
    });
    expect(users.logs.at(-1)).toMatchObject({
      event: "pat-exchanged",
      success: true,
      payload: { token_id: record.id },
    });
  });

  it("when the token is malformed, unknown, expired, or its user suspended or gone then each has its reason", async () => {
    const { secret } = await pats.create({
      userId: "u1",
      name: "ci",
      expireTime: new Date(clock.getTime() + 60_000),
      scopes: [],
    });
    expect(
      await domainOutcome(
        use.exchange({ secret: secret.slice(0, -1) + (secret.endsWith("a") ? "b" : "a"), scopes: [] }, origin),
      ),
    ).toBe("unauthenticated/TOKEN_MALFORMED");
    expect(await domainOutcome(use.exchange({ secret: generatePatSecret(), scopes: [] }, origin))).toBe(
      "unauthenticated/TOKEN_INVALID",
    );
    users.users.set("u1", { id: "u1", username: "ada", suspended: true });
    expect(await domainOutcome(use.exchange({ secret, scopes: [] }, origin))).toBe("unauthenticated/USER_SUSPENDED");
    expect(await use.introspect({ token: secret }, origin)).toEqual({ active: false });
    users.users.delete("u1");
    expect(await domainOutcome(use.exchange({ secret, scopes: [] }, origin))).toBe("unauthenticated/TOKEN_INVALID");
    users.users.set("u1", { id: "u1", username: "ada", suspended: false });
    clock = new Date(clock.getTime() + 120_000);
    expect(await domainOutcome(use.exchange({ secret, scopes: [] }, origin))).toBe("unauthenticated/TOKEN_EXPIRED");
    expect(users.logs.filter((l) => l.event === "pat-exchanged").map((l) => l.payload.reason)).toEqual([
      "USER_SUSPENDED",
      "TOKEN_INVALID",
      "TOKEN_EXPIRED",
    ]);
  });

  it("when the exchange cannot be logged then no access token is returned", async () => {
    const { secret } = await pats.create({ userId: "u1", name: "ci", expireTime: undefined, scopes: [] });
    users.failLogs = true;
    await expect(use.exchange({ secret, scopes: [] }, origin)).rejects.toThrow(/down/);
  });

  it("when used repeatedly within a minute then last use is written once", async () => {
    const { secret, record } = await pats.create({ userId: "u1", name: "ci", expireTime: undefined, scopes: [] });
    await use.introspect({ token: secret }, origin);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const first = (await pats.list({ userId: "u1", pageSize: 0, pageToken: "" })).records[0]?.lastUseTime;
    expect(first).toEqual(clock);
    clock = new Date(clock.getTime() + 30_000);
    await use.exchange({ secret, scopes: [] }, origin);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(
      (await pats.list({ userId: "u1", pageSize: 0, pageToken: "" })).records.find((r) => r.id === record.id)
        ?.lastUseTime,
    ).toEqual(first);
  });
});

describe("limits", () => {
  function throttled(perAddress: number, perTarget: number) {
    const reports: AuthFailure[] = [];
    const failures = { record: (failure: AuthFailure) => reports.push(failure) };
    const throttle = () => createCredentialThrottle("pat", { perAddress, perTarget }, failures);
    const limitedUse = createExchangeAndIntrospection({
      ...deps,
      exchangeThrottle: throttle(),
      introspectionThrottle: throttle(),
    });
    return { limitedUse, reports };
  }

  it("when an expired PAT is retried then it is reported by token id, never by secret, and cut off after its per-target limit", async () => {
    const { secret, record } = await pats.create({
      userId: "u1",
      name: "ci",
      expireTime: new Date(clock.getTime() + 1_000),
      scopes: [],
    });
    clock = new Date(clock.getTime() + 2_000);
    const { limitedUse, reports } = throttled(100, 2);
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await domainOutcome(limitedUse.exchange({ secret, scopes: [] }, origin)));
    expect(results).toEqual([
      "unauthenticated/TOKEN_EXPIRED",
      "unauthenticated/TOKEN_EXPIRED",
      "resource-exhausted/RATE_LIMITED",
    ]);
    expect(reports.map((r) => r.reason)).toEqual(["TOKEN_EXPIRED", "TOKEN_EXPIRED", "RATE_LIMITED"]);
    expect(reports[0]).toMatchObject({ credential: "pat", origin, subject: { tokenId: record.id, userId: "u1" } });
    expect(JSON.stringify(reports)).not.toContain(secret.slice(11));
  });

  it("when one address has used up its failures then a valid PAT from another address is still exchanged and introspected", async () => {
    const { secret } = await pats.create({ userId: "u1", name: "ci", expireTime: undefined, scopes: [] });
    const { limitedUse } = throttled(2, 100);
    for (let i = 0; i < 2; i++)
      await domainOutcome(limitedUse.exchange({ secret: generatePatSecret(), scopes: [] }, origin));
    expect(await domainOutcome(limitedUse.exchange({ secret, scopes: [] }, origin))).toBe(
      "resource-exhausted/RATE_LIMITED",
    );
    const other = { ...origin, address: "10.0.0.2" };
    expect(await domainOutcome(limitedUse.exchange({ secret, scopes: [] }, other))).toBe("OK");
    for (let i = 0; i < 5; i++) expect((await limitedUse.introspect({ token: secret }, origin)).active).toBe(true);
  });
});

describe("introspect", () => {
  it("when a PAT is active then the RFC 7662 fields describe it", async () => {
    const { secret, record } = await pats.create({
      userId: "u1",
      name: "ci",
      expireTime: undefined,
      scopes: ["orders:write"],
    });
    expect(await use.introspect({ token: secret }, origin)).toEqual({
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

  it("when an access token's user loses a permission or was suspended since minting then introspection follows the user", async () => {
    const { secret } = await pats.create({ userId: "u1", name: "ci", expireTime: undefined, scopes: [] });
    const { accessToken } = await use.exchange({ secret, scopes: [] }, origin);
    users.permissions.set("u1", ["orders:read"]);
    expect(await use.introspect({ token: accessToken }, origin)).toMatchObject({ active: true, scope: "orders:read" });
    users.tokenEpochs.set("u1", 1);
    expect(await use.introspect({ token: accessToken }, origin)).toEqual({ active: false });
    const fresh = await use.exchange({ secret, scopes: [] }, origin);
    expect(await use.introspect({ token: fresh.accessToken }, origin)).toMatchObject({
      active: true,
      scope: "orders:read",
    });
    users.users.delete("u1");
    expect(await use.introspect({ token: fresh.accessToken }, origin)).toEqual({ active: false });
  });

  it("when the PAT expires before the access token TTL runs out then the access token expires with the PAT", async () => {
    const expireTime = new Date(Date.now() + 60_000);
    const { secret } = await pats.create({ userId: "u1", name: "ci", expireTime, scopes: [] });
    const minted = await use.exchange({ secret, scopes: [] }, origin);
    expect(minted.expireTime.getTime()).toBeLessThanOrEqual(expireTime.getTime());
    expect((await use.introspect({ token: minted.accessToken }, origin)).exp).toBe(
      Math.floor(expireTime.getTime() / 1000),
    );
  });

  it("when the token is garbage or deleted then it is inactive, not an error", async () => {
    const { secret, record } = await pats.create({ userId: "u1", name: "ci", expireTime: undefined, scopes: [] });
    await pats.delete({ userId: "u1", id: record.id });
    expect(await use.introspect({ token: secret }, origin)).toEqual({ active: false });
    expect(await use.introspect({ token: "a.b.c" }, origin)).toEqual({ active: false });
    expect(await use.introspect({ token: "hello" }, origin)).toEqual({ active: false });
  });

  it("when a held PAT and user are used again then they grant the same, and once the user's access is replaced then only the new permissions", async () => {
    const { secret } = await pats.create({ userId: "u1", name: "held", expireTime: undefined, scopes: [] });
    const repository = createPatRepository(db);
    // As the cache and the access copy do: the same objects until the token or the user changes.
    let held: PatRecord | undefined;
    let access: UserAccess = {
      id: "u1",
      username: "ada",
      suspended: false,
      tokenEpoch: 0,
      permissions: ["orders:read", "orders:write"],
    };
    const heldUse = createExchangeAndIntrospection({
      ...deps,
      store: { ...repository, findBySecretHash: async (hash) => (held ??= await repository.findBySecretHash(hash)) },
      users: { ...users, accessOf: async () => access },
      exchangeThrottle: unlimitedThrottle,
      introspectionThrottle: unlimitedThrottle,
    });
    for (let i = 0; i < 2; i++) {
      expect((await heldUse.introspect({ token: secret }, origin)).scope).toBe("orders:read orders:write");
      expect((await heldUse.exchange({ secret, scopes: [] }, origin)).scopes).toEqual(["orders:read", "orders:write"]);
    }
    access = { ...access, permissions: ["orders:read"] };
    expect((await heldUse.introspect({ token: secret }, origin)).scope).toBe("orders:read");
    const exchanged = await heldUse.exchange({ secret, scopes: [] }, origin);
    expect(exchanged.scopes).toEqual(["orders:read"]);
    expect((await heldUse.introspect({ token: exchanged.accessToken }, origin)).scope).toBe("orders:read");
    expect(users.logs.at(-1)?.payload).toMatchObject({ scope: "orders:read" });
  });
});
