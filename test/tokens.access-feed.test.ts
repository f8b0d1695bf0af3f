import { randomBytes } from "node:crypto";
import { closeClient, createRoleServiceClient, createTokenServiceClient } from "@roster/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ackTimeoutMs, leaseMs, roleClientsByKey, useFeedPair } from "./helpers/access-feed.js";
import { stackInfo } from "./helpers/stack-info.js";
import {
  eventually,
  newPat,
  outcome,
  refusalOf,
  rosterClients,
  uniqueName,
  type RosterClients,
} from "./helpers/tokens.js";

// token-service answers exchange and introspection from its copy of user access,
// kept current by user-service's change feed. These tests attack the one promise
// that copy must keep: what a change took away is never granted after it returns.

const stack = stackInfo();
const usersDatabase = `roster_users_feed_${randomBytes(4).toString("hex")}`;

// The feed runs through a relay the tests can stall; the per-call round trips go straight to user-service.
const feedPair = useFeedPair(stack, [usersDatabase], (relay) => ({
  USER_SERVICE_DATABASE: usersDatabase,
  TOKEN_SERVICE_ACCESS_FEED_URLS: `http://127.0.0.1:${relay.port}`,
}));
let admin: RosterClients;
const closers: (() => void)[] = [];

beforeAll(() => {
  admin = rosterClients(feedPair.pair.ports, stack.apiKey);
});

afterAll(() => {
  admin?.close();
  closers.forEach((close) => close());
});

/** Token-service over Connect on its HTTP port (what a browser or curl speaks). */
function connectTokens() {
  const client = createTokenServiceClient({
    transport: "connect",
    baseUrl: `http://127.0.0.1:${feedPair.pair.ports.token.http}`,
    credential: stack.apiKey,
  });
  closers.push(() => closeClient(client));
  return client;
}

/** A user with a role granting `orders:read`, a PAT, and an access token exchanged from it. */
async function holder() {
  const { user } = await admin.users.createUser({ username: uniqueName("feed") });
  const userId = user?.id ?? "";
  const { role } = await admin.roles.createRole({ role: { name: uniqueName("role-"), permissions: ["orders:read"] } });
  const roleId = role?.id ?? "";
  await admin.roles.assignUserRoles({ userId, roleIds: [roleId] });
  const pat = await newPat(admin, userId);
  const { accessToken, scopes } = await admin.tokens.exchangePersonalAccessToken({ personalAccessToken: pat.secret });
  expect(scopes).toEqual(["orders:read"]);
  return { userId, roleId, pat, accessToken };
}

/**
 * Whether token-service answers this user from its copy: once the copy has
 * had a chance to take the user in, the username is changed behind
 * user-service's back (no change is published), so only a copy still
 * reports the old one. Restored through UpdateUser, which publishes.
 */
async function answeredFromCopy(userId: string, patSecret: string): Promise<boolean> {
  const users = feedPair.mongo.db(usersDatabase).collection<{ _id: string; username?: string }>("users");
  const before = await users.findOne({ _id: userId });
  await admin.tokens.introspectToken({ token: patSecret });
  await users.updateOne({ _id: userId }, { $set: { username: "changed-behind-the-feed" } });
  try {
    const { username } = await admin.tokens.introspectToken({ token: patSecret });
    return username === before?.username;
  } finally {
    await admin.users.updateUser({
      user: { id: userId, username: before?.username ?? "" },
      updateMask: { paths: ["username"] },
    });
  }
}

/** Waits until the feed is live (the copy answers), then lets the copy take the user in again. */
async function warm(user: { userId: string; pat: { secret: string } }) {
  expect(
    await eventually(
      () => answeredFromCopy(user.userId, user.pat.secret),
      (fromCopy) => fromCopy,
      20_000,
    ),
  ).toBe(true);
  await admin.tokens.introspectToken({ token: user.pat.secret });
}

/** What token-service says about the user's PAT and access token, over native gRPC and Connect. */
async function verdicts(user: { pat: { secret: string }; accessToken: string }) {
  const overConnect = connectTokens();
  const exchange = (client: typeof admin.tokens) =>
    outcome(() => client.exchangePersonalAccessToken({ personalAccessToken: user.pat.secret }));
  const introspect = async (client: typeof admin.tokens, token: string) => {
    const answer = await client.introspectToken({ token });
    return answer.active ? `active:${answer.scope}` : "inactive";
  };
  return {
    exchange: [await exchange(admin.tokens), await exchange(overConnect)],
    pat: [await introspect(admin.tokens, user.pat.secret), await introspect(overConnect, user.pat.secret)],
    jwt: [await introspect(admin.tokens, user.accessToken), await introspect(overConnect, user.accessToken)],
  };
}

describe("with the user-access feed live", () => {
  it("when the copy holds a user then token-service answers from it (the feed is live)", async () => {
    const user = await holder();
    await warm(user);
    expect(await verdicts(user)).toEqual({
      exchange: ["OK", "OK"],
      pat: ["active:orders:read", "active:orders:read"],
      jwt: ["active:orders:read", "active:orders:read"],
    });
  });

  it("when the copy holds a user then exchanges and introspections make no GetUserAccess call to user-service", async () => {
    const user = await holder();
    await warm(user);
    const getUserAccessCalls = async () => {
      const text = await (await fetch(`http://127.0.0.1:${feedPair.pair.ports.user.http}/metrics`)).text();
      const lines = text
        .split("\n")
        .filter(
          (line) => line.startsWith("roster_rpc_handled_total") && /RoleService\/(Batch)?GetUserAccess"/.test(line),
        );
      return lines.reduce((sum, line) => sum + Number(line.split(" ").pop()), 0);
    };
    const before = await getUserAccessCalls();
    // Filling the copy took round trips, so the metric is there to count them.
    expect(before).toBeGreaterThan(0);
    for (let i = 0; i < 20; i++) {
      await admin.tokens.exchangePersonalAccessToken({ personalAccessToken: user.pat.secret });
      await admin.tokens.introspectToken({ token: user.pat.secret });
      await admin.tokens.introspectToken({ token: user.accessToken });
    }
    expect(await getUserAccessCalls()).toBe(before);
  });

  it.each([
    ["SuspendUser", (u: { userId: string }) => admin.users.suspendUser({ userId: u.userId }), "16/USER_SUSPENDED"],
    ["DeleteUser", (u: { userId: string }) => admin.users.deleteUser({ userId: u.userId }), "16/TOKEN_INVALID"],
  ])(
    "when %s returns then exchange and introspection refuse at once, over both transports",
    async (_name, change, refusal) => {
      const user = await holder();
      await warm(user);
      await change(user);
      expect(await verdicts(user)).toEqual({
        exchange: [refusal, refusal],
        pat: ["inactive", "inactive"],
        jwt: ["inactive", "inactive"],
      });
    },
  );

  it.each([
    [
      "RemoveUserRoles",
      (u: { userId: string; roleId: string }) => admin.roles.removeUserRoles({ userId: u.userId, roleIds: [u.roleId] }),
    ],
    [
      "ReplaceUserRoles",
      (u: { userId: string; roleId: string }) => admin.roles.replaceUserRoles({ userId: u.userId, roleIds: [] }),
    ],
    [
      "UpdateRole (permissions)",
      (u: { roleId: string }) =>
        admin.roles.updateRole({
          role: { id: u.roleId, permissions: ["orders:write"] },
          updateMask: { paths: ["permissions"] },
        }),
    ],
    ["DeleteRole", (u: { roleId: string }) => admin.roles.deleteRole({ roleId: u.roleId })],
  ])(
    "when %s returns then the permission it took away is granted by neither exchange nor introspection, over both transports",
    async (_name, change) => {
      const user = await holder();
      await warm(user);
      await change(user);
      const { scopes } = await admin.tokens.exchangePersonalAccessToken({ personalAccessToken: user.pat.secret });
      expect(scopes).not.toContain("orders:read");
      const after = await verdicts(user);
      expect(after.exchange).toEqual(["OK", "OK"]);
      // The PAT holds no scopes of its own, so it grants whatever the user may do now; the access token only what it was minted with, of that.
      expect(after.pat.map((verdict) => verdict.startsWith("active:") && !verdict.includes("orders:read"))).toEqual([
        true,
        true,
      ]);
      expect(after.jwt).toEqual(["active:", "active:"]);
    },
  );
});

describe("the feed's own methods", () => {
  it("when a management key asks for the feed then it is PERMISSION_DENIED (service-only), and a bad acknowledgement names its field", async () => {
    const { asAdmin, asService, close } = roleClientsByKey(stack, feedPair.pair.ports.user.grpc);
    closers.push(close);
    const first = async () => {
      for await (const message of asAdmin.watchUserAccessChanges({}, { timeoutMs: 5_000 })) return message;
    };
    expect((await refusalOf(first)).code).toBe(7);
    expect(
      (await refusalOf(() => asAdmin.acknowledgeUserAccessChanges({ subscriptionId: "x", sequence: 0n }))).code,
    ).toBe(7);
    expect(await refusalOf(() => asService.acknowledgeUserAccessChanges({ subscriptionId: "", sequence: 0n }))).toEqual(
      {
        code: 3,
        reason: "INVALID_ARGUMENT",
        fields: ["subscription_id"],
      },
    );
  });
});

describe("the listing of every user's access", () => {
  it("when a service key pages through it then every user comes once, in id order, with its state and permissions", async () => {
    const { asAdmin, asService, close } = roleClientsByKey(stack, feedPair.pair.ports.user.grpc);
    closers.push(close);
    const { role } = await admin.roles.createRole({
      role: { name: uniqueName("list-"), permissions: ["orders:read"] },
    });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await admin.users.createUser({ username: uniqueName("list") })).user?.id ?? "");
    await admin.roles.assignUserRoles({ userId: ids[1]!, roleIds: [role?.id ?? ""] });
    await admin.users.suspendUser({ userId: ids[2]! });

    const listed: { userId: string; suspended: boolean; permissions: string[] }[] = [];
    let pageToken = "";
    do {
      const page = await asService.listUserAccess({ pageSize: 2, pageToken });
      expect(page.accesses.length).toBeLessThanOrEqual(2);
      listed.push(...page.accesses);
      pageToken = page.nextPageToken;
    } while (pageToken !== "");

    const order = listed.map((access) => access.userId);
    expect(order).toEqual([...new Set(order)].sort());
    const mine = listed.filter((access) => ids.includes(access.userId));
    expect(mine.map(({ userId, suspended, permissions }) => ({ userId, suspended, permissions }))).toEqual(
      [...ids].sort().map((userId) => ({
        userId,
        suspended: userId === ids[2],
        permissions: userId === ids[1] ? ["orders:read"] : [],
      })),
    );
    expect((await refusalOf(() => asAdmin.listUserAccess({}))).code).toBe(7);
    expect(await refusalOf(() => asService.listUserAccess({ pageSize: -1 }))).toEqual({
      code: 3,
      reason: "INVALID_ARGUMENT",
      fields: ["page_size"],
    });
    expect((await refusalOf(() => asService.listUserAccess({ pageToken: "not-a-token" }))).fields).toEqual([
      "page_token",
    ]);
  });
});

describe("a subscriber that stops acknowledging", () => {
  it("when a subscriber holds a lease and stops acknowledging then SuspendUser returns only after that lease ran out, and the subscriber is cut off", async () => {
    const { user } = await admin.users.createUser({ username: uniqueName("stall") });
    const feed = createRoleServiceClient({
      transport: "grpc-js",
      address: `127.0.0.1:${feedPair.pair.ports.user.grpc}`,
      credential: stack.serviceKey,
    });
    closers.push(() => closeClient(feed));
    const controller = new AbortController();
    const changes = feed.watchUserAccessChanges({}, { signal: controller.signal, timeoutMs: 60_000 });
    const stream = changes[Symbol.asyncIterator]();
    const first = (await stream.next()).value;
    expect(first).toMatchObject({ subscribed: true, sequence: 0n, leaseMs: BigInt(leaseMs) });
    const askedAt = performance.now();
    const lease = await feed.acknowledgeUserAccessChanges({
      subscriptionId: first?.subscriptionId ?? "",
      sequence: 0n,
    });
    expect(lease.leaseMs).toBe(BigInt(leaseMs));
    // From here on the subscriber reads nothing and acknowledges nothing.
    await admin.users.suspendUser({ userId: user?.id ?? "" });
    const returnedAt = performance.now();
    expect(returnedAt - askedAt).toBeGreaterThanOrEqual(leaseMs);
    expect(
      await refusalOf(() =>
        feed.acknowledgeUserAccessChanges({ subscriptionId: first?.subscriptionId ?? "", sequence: 1n }),
      ),
    ).toEqual({
      code: 9,
      reason: "SUBSCRIPTION_CLOSED",
      fields: [],
    });
    controller.abort();
  });

  it("when token-service's feed stalls (a partition neither end sees) then a suspension still holds on it, and it never answers active afterwards", async () => {
    const user = await holder();
    await warm(user);
    feedPair.relay.stall();
    try {
      const started = performance.now();
      await admin.users.suspendUser({ userId: user.userId });
      // The stalled subscriber could not acknowledge: the call waited for it at least that long.
      expect(performance.now() - started).toBeGreaterThanOrEqual(ackTimeoutMs);
      for (let i = 0; i < 4; i++) {
        expect(await verdicts(user)).toEqual({
          exchange: ["16/USER_SUSPENDED", "16/USER_SUSPENDED"],
          pat: ["inactive", "inactive"],
          jwt: ["inactive", "inactive"],
        });
        await new Promise((resolve) => setTimeout(resolve, leaseMs / 3));
      }
    } finally {
      feedPair.relay.unstall();
    }
  });
});

describe("restarts", () => {
  it("when user-service restarts then token-service resubscribes, answers from its copy again and a suspension after it holds at once", async () => {
    const user = await holder();
    await warm(user);
    await feedPair.pair.restart("user-service");
    await warm(user);
    await admin.users.suspendUser({ userId: user.userId });
    expect(await verdicts(user)).toEqual({
      exchange: ["16/USER_SUSPENDED", "16/USER_SUSPENDED"],
      pat: ["inactive", "inactive"],
      jwt: ["inactive", "inactive"],
    });
  });

  it("when token-service has just started (its copy cold) then its first answers are already right", async () => {
    const active = await holder();
    const suspended = await holder();
    await admin.users.suspendUser({ userId: suspended.userId });
    await feedPair.pair.restart("token-service");
    expect(await verdicts(suspended)).toEqual({
      exchange: ["16/USER_SUSPENDED", "16/USER_SUSPENDED"],
      pat: ["inactive", "inactive"],
      jwt: ["inactive", "inactive"],
    });
    expect(await verdicts(active)).toEqual({
      exchange: ["OK", "OK"],
      pat: ["active:orders:read", "active:orders:read"],
      jwt: ["active:orders:read", "active:orders:read"],
    });
  });
});
