import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ackTimeoutMs, leaseMs, roleClientsByKey, useFeedPair } from "./helpers/access-feed.js";
import { startExtraTokenService, type ExtraTokenService } from "./helpers/extra-services.js";
import { stackInfo } from "./helpers/stack-info.js";
import { eventually, outcome, refusalOf, rosterClients, uniqueName, type RosterClients } from "./helpers/tokens.js";

// Each token-service instance answers PAT uses from the PAT records it has read,
// while its user-access feeds are live. These tests attack the promise that
// cache must keep across instances: once a change of a PAT returns OK on one
// instance, no instance answers from its copy of the old record.

const stack = stackInfo();
const suffix = randomBytes(4).toString("hex");
const usersDatabase = `roster_users_patcache_${suffix}`;
const tokensDatabase = `roster_tokens_patcache_${suffix}`;

const feedPair = useFeedPair(stack, [usersDatabase, tokensDatabase], () => ({
  USER_SERVICE_DATABASE: usersDatabase,
  TOKEN_SERVICE_DATABASE: tokensDatabase,
}));
let second: ExtraTokenService;
/** Clients of instance A (the pair's token-service) and of instance B (the second one, whose feed runs through the relay). */
let onA: RosterClients;
let onB: RosterClients;
/** RoleService clients of the pair's user-service; `asService` may publish changes. */
let publisher: ReturnType<typeof roleClientsByKey>;

beforeAll(async () => {
  const { pair, relay } = feedPair;
  second = await startExtraTokenService(stack, {
    USER_SERVICE_URL: `http://127.0.0.1:${pair.ports.user.grpc}`,
    TOKEN_SERVICE_DATABASE: tokensDatabase,
    TOKEN_SERVICE_ACCESS_FEED_URLS: `http://127.0.0.1:${relay.port}`,
  });
  onA = rosterClients(pair.ports, stack.apiKey);
  onB = rosterClients({ user: pair.ports.user, token: second.ports.token }, stack.apiKey);
  publisher = roleClientsByKey(stack, pair.ports.user.grpc);
}, 60_000);

afterAll(async () => {
  onA?.close();
  onB?.close();
  publisher?.close();
  await second?.stop();
});

const pats = () =>
  feedPair.mongo.db(tokensDatabase).collection<{ _id: string; expireTime: Date | null }>("personal_access_tokens");
const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/** A user with a role granting `orders:read` and a PAT expiring in a day. */
async function holder() {
  const { user } = await onA.users.createUser({ username: uniqueName("cache") });
  const userId = user?.id ?? "";
  const { role } = await onA.roles.createRole({ role: { name: uniqueName("role-"), permissions: ["orders:read"] } });
  await onA.roles.assignUserRoles({ userId, roleIds: [role?.id ?? ""] });
  const expireTime = new Date(Date.now() + 86_400_000);
  const created = await onA.tokens.createPersonalAccessToken({
    userId,
    name: uniqueName("pat-"),
    expireTime: { seconds: BigInt(seconds(expireTime)), nanos: 0 },
  });
  return { userId, pat: { secret: created.secret, id: created.personalAccessToken?.id ?? "" }, expireTime };
}

/**
 * Makes B hold the PAT's record and proves it answers from it: B reads the
 * PAT, then its expiry is changed in the database behind every feed (nothing
 * is published), so only a held copy still reports the old one. Each attempt
 * first publishes a change of the user, which drops what B holds of it: a
 * read B made while its lease had lapsed (it resubscribes after a stall) may
 * have kept the expiry of the moment the database was behind.
 */
async function warmB(user: { userId: string; pat: { id: string; secret: string }; expireTime: Date }) {
  const behindTheFeed = new Date(user.expireTime.getTime() + 3_600_000);
  await pats().updateOne({ _id: user.pat.id }, { $set: { expireTime: user.expireTime } });
  const fromCache = await eventually(
    async () => {
      await publisher.asService.publishUserTokensChanged({ userId: user.userId });
      await onB.tokens.introspectToken({ token: user.pat.secret });
      await pats().updateOne({ _id: user.pat.id }, { $set: { expireTime: behindTheFeed } });
      const { exp } = await onB.tokens.introspectToken({ token: user.pat.secret });
      await pats().updateOne({ _id: user.pat.id }, { $set: { expireTime: user.expireTime } });
      return exp === BigInt(seconds(user.expireTime));
    },
    (held) => held,
    20_000,
  );
  expect(fromCache).toBe(true);
  // Held with the expiry the database has again.
  await onB.tokens.introspectToken({ token: user.pat.secret });
}

/** What B says of the PAT: its introspection and its exchange. */
async function verdictOfB(secret: string) {
  const { active, exp } = await onB.tokens.introspectToken({ token: secret });
  return {
    active,
    exp,
    exchange: await outcome(() => onB.tokens.exchangePersonalAccessToken({ personalAccessToken: secret })),
  };
}

describe("a PAT cached on another instance", () => {
  it("when the PAT is deleted on A then B answers inactive and refuses the exchange at once", async () => {
    const user = await holder();
    await warmB(user);
    expect((await verdictOfB(user.pat.secret)).active).toBe(true);
    await onA.tokens.deletePersonalAccessToken({ userId: user.userId, tokenId: user.pat.id });
    expect(await verdictOfB(user.pat.secret)).toEqual({ active: false, exp: 0n, exchange: "16/TOKEN_INVALID" });
  });

  it("when A shortens the PAT's expiry then B reports the new expiry at once and mints nothing that outlives it", async () => {
    const user = await holder();
    await warmB(user);
    const shorter = new Date(Date.now() + 120_000);
    await onA.tokens.updatePersonalAccessToken({
      personalAccessToken: {
        id: user.pat.id,
        userId: user.userId,
        expireTime: { seconds: BigInt(seconds(shorter)), nanos: 0 },
      },
      updateMask: { paths: ["expire_time"] },
    });
    const { exp } = await onB.tokens.introspectToken({ token: user.pat.secret });
    expect(exp).toBe(BigInt(seconds(shorter)));
    const { expireTime } = await onB.tokens.exchangePersonalAccessToken({ personalAccessToken: user.pat.secret });
    expect(Number(expireTime?.seconds)).toBeLessThanOrEqual(seconds(shorter));
  });

  it("when A deletes all the user's PATs then B answers inactive at once", async () => {
    const user = await holder();
    await warmB(user);
    await onA.tokens.deleteUserPersonalAccessTokens({ userId: user.userId });
    expect(await verdictOfB(user.pat.secret)).toEqual({ active: false, exp: 0n, exchange: "16/TOKEN_INVALID" });
  });
});

describe("an instance whose feed is cut", () => {
  it("when B's feed stalls and A deletes the PAT then the delete returns only once B can no longer answer from its copy", async () => {
    const user = await holder();
    await warmB(user);
    feedPair.relay.stall();
    try {
      const started = performance.now();
      await onA.tokens.deletePersonalAccessToken({ userId: user.userId, tokenId: user.pat.id });
      // B could not acknowledge: the delete waited for it to be cut off.
      expect(performance.now() - started).toBeGreaterThanOrEqual(ackTimeoutMs);
      expect(await verdictOfB(user.pat.secret)).toEqual({ active: false, exp: 0n, exchange: "16/TOKEN_INVALID" });
    } finally {
      feedPair.relay.unstall();
    }
  });

  it("when B's feed stalls then, once its lease has run out, B reads the PAT from the database again", async () => {
    const user = await holder();
    await warmB(user);
    feedPair.relay.stall();
    try {
      const behindTheFeed = new Date(user.expireTime.getTime() + 3_600_000);
      await pats().updateOne({ _id: user.pat.id }, { $set: { expireTime: behindTheFeed } });
      await new Promise((resolve) => setTimeout(resolve, leaseMs + 200));
      const { exp } = await onB.tokens.introspectToken({ token: user.pat.secret });
      expect(exp).toBe(BigInt(seconds(behindTheFeed)));
    } finally {
      feedPair.relay.unstall();
    }
  });
});

describe("PublishUserTokensChanged", () => {
  it("when a management key calls it then it is PERMISSION_DENIED (service-only), and an empty user id is named", async () => {
    const { asAdmin, asService, close } = roleClientsByKey(stack, feedPair.pair.ports.user.grpc);
    try {
      expect((await refusalOf(() => asAdmin.publishUserTokensChanged({ userId: "u_1" }))).code).toBe(7);
      expect(await refusalOf(() => asService.publishUserTokensChanged({ userId: "" }))).toEqual({
        code: 3,
        reason: "INVALID_ARGUMENT",
        fields: ["user_id"],
      });
      expect(await outcome(() => asService.publishUserTokensChanged({ userId: "u_gone" }))).toBe("OK");
    } finally {
      close();
    }
  });
});
