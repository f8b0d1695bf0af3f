import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { closeClient, createUserServiceClient, UserLogEvent } from "@roster/client";
import { afterAll, describe, expect, it } from "vitest";
import { stackInfo } from "./helpers/stack-info.js";
import { newPat, outcome, rosterClients, uniqueName, type RosterClients } from "./helpers/tokens.js";

const stack = stackInfo();
const admin = rosterClients(stack, stack.apiKey);
const holders: RosterClients[] = [];
afterAll(() => [admin, ...holders].forEach((c) => c.close()));

const usersRead = "roster:users:read";
const tokensRead = "roster:tokens:read";
const logsRead = "roster:logs:read";

/** A user holding one role per permission set, and clients that call with an access token exchanged from its PAT. */
async function tokenHolder(...roles: string[][]) {
  const { user } = await admin.users.createUser({ username: uniqueName("u") });
  const userId = user?.id ?? "";
  const roleIds: string[] = [];
  for (const permissions of roles) {
    const { role } = await admin.roles.createRole({ role: { name: uniqueName("role-"), permissions } });
    roleIds.push(role?.id ?? "");
  }
  await admin.roles.assignUserRoles({ userId, roleIds });
  const pat = await newPat(admin, userId);
  const exchange = () => admin.tokens.exchangePersonalAccessToken({ personalAccessToken: pat.secret });
  const { accessToken } = await exchange();
  const clients = rosterClients(stack, accessToken);
  holders.push(clients);
  return {
    clients,
    userId,
    roleIds,
    pat,
    accessToken,
    exchange,
    /** The same user's calls on each service: user-service GetUser, token-service ListPersonalAccessTokens. */
    onUserService: (via: RosterClients = clients) => outcome(() => via.users.getUser({ userId })),
    onTokenService: (via: RosterClients = clients) => outcome(() => via.tokens.listPersonalAccessTokens({ userId })),
    introspect: () => admin.tokens.introspectToken({ token: accessToken }),
  };
}

describe("access tokens follow their user's state", () => {
  it("when the user is suspended then its access token is refused by both services from the moment SuspendUser returns", async () => {
    const holder = await tokenHolder([usersRead, tokensRead]);
    expect([await holder.onUserService(), await holder.onTokenService()]).toEqual(["OK", "OK"]);
    await admin.users.suspendUser({ userId: holder.userId });
    expect([await holder.onUserService(), await holder.onTokenService()]).toEqual([
      "16/USER_SUSPENDED",
      "16/USER_SUSPENDED",
    ]);
    expect((await holder.introspect()).active).toBe(false);
    // The HTTP port runs the same guard: Connect refuses it alike.
    const overConnect = createUserServiceClient({
      transport: "connect",
      baseUrl: `http://127.0.0.1:${stack.user.http}`,
      credential: holder.accessToken,
    });
    try {
      expect(await outcome(() => overConnect.getUser({ userId: holder.userId }))).toBe("16/USER_SUSPENDED");
    } finally {
      closeClient(overConnect);
    }
  });

  it("when the user is unsuspended then tokens issued before the suspension stay refused and a new exchange works on both", async () => {
    const holder = await tokenHolder([usersRead, tokensRead]);
    await admin.users.suspendUser({ userId: holder.userId });
    await admin.users.unsuspendUser({ userId: holder.userId });
    expect([await holder.onUserService(), await holder.onTokenService()]).toEqual([
      "16/TOKEN_REVOKED",
      "16/TOKEN_REVOKED",
    ]);
    expect((await holder.introspect()).active).toBe(false);
    const fresh = rosterClients(stack, (await holder.exchange()).accessToken);
    holders.push(fresh);
    expect([await holder.onUserService(fresh), await holder.onTokenService(fresh)]).toEqual(["OK", "OK"]);
  });

  it("when the user is deleted then its access token is refused by both services from the moment DeleteUser returns", async () => {
    const holder = await tokenHolder([usersRead, tokensRead]);
    expect(await holder.onUserService()).toBe("OK");
    await admin.users.deleteUser({ userId: holder.userId });
    expect([await holder.onUserService(), await holder.onTokenService()]).toEqual([
      "16/USER_DELETED",
      "16/USER_DELETED",
    ]);
    expect((await holder.introspect()).active).toBe(false);
  });
});

describe("access tokens follow their user's permissions", () => {
  it("when a role is removed from the user then the scopes it gave are no longer granted on either service", async () => {
    const holder = await tokenHolder([usersRead], [tokensRead]);
    const [usersRole, tokensRole] = holder.roleIds as [string, string];
    expect((await holder.introspect()).scope).toBe(`${tokensRead} ${usersRead}`);
    await admin.roles.removeUserRoles({ userId: holder.userId, roleIds: [usersRole] });
    expect([await holder.onUserService(), await holder.onTokenService()]).toEqual(["7/INSUFFICIENT_SCOPE", "OK"]);
    expect(await holder.introspect()).toMatchObject({ active: true, scope: tokensRead });
    await admin.roles.removeUserRoles({ userId: holder.userId, roleIds: [tokensRole] });
    expect(await holder.onTokenService()).toBe("7/INSUFFICIENT_SCOPE");
    expect(await holder.introspect()).toMatchObject({ active: true, scope: "" });
  });

  it("when a permission is taken out of a role the user holds then the scope is no longer granted", async () => {
    const holder = await tokenHolder([usersRead, tokensRead]);
    const [roleId] = holder.roleIds as [string];
    await admin.roles.updateRole({
      role: { id: roleId, permissions: [tokensRead] },
      updateMask: { paths: ["permissions"] },
    });
    expect([await holder.onUserService(), await holder.onTokenService()]).toEqual(["7/INSUFFICIENT_SCOPE", "OK"]);
  });

  it("when a role is given back then the token regains at most the scopes it was minted with", async () => {
    const holder = await tokenHolder([usersRead]);
    await admin.roles.removeUserRoles({ userId: holder.userId, roleIds: holder.roleIds });
    expect(await holder.onUserService()).toBe("7/INSUFFICIENT_SCOPE");
    const { role } = await admin.roles.createRole({
      role: { name: uniqueName("role-"), permissions: [usersRead, tokensRead] },
    });
    await admin.roles.assignUserRoles({ userId: holder.userId, roleIds: [role?.id ?? ""] });
    expect([await holder.onUserService(), await holder.onTokenService()]).toEqual(["OK", "7/INSUFFICIENT_SCOPE"]);
  });
});

describe("access tokens and the PAT they came from", () => {
  it("when the PAT expires in 60 s then the access token expires no later than the PAT", async () => {
    const { user } = await admin.users.createUser({ username: uniqueName("u") });
    const expireTime = new Date(Date.now() + 60_000);
    const created = await admin.tokens.createPersonalAccessToken({
      userId: user?.id ?? "",
      name: uniqueName("pat-"),
      expireTime: timestampFromDate(expireTime),
    });
    const minted = await admin.tokens.exchangePersonalAccessToken({ personalAccessToken: created.secret });
    const claims = JSON.parse(Buffer.from(minted.accessToken.split(".")[1] ?? "", "base64url").toString("utf8")) as {
      exp: number;
    };
    expect(claims.exp).toBeLessThanOrEqual(Math.floor(expireTime.getTime() / 1000));
    expect(minted.expireTime?.seconds).toBe(BigInt(claims.exp));
    expect((await admin.tokens.introspectToken({ token: minted.accessToken })).exp).toBe(BigInt(claims.exp));
  });

  it("when the PAT is deleted then exchange refuses it, while introspection and both services agree its access token lives until exp", async () => {
    const holder = await tokenHolder([usersRead, tokensRead]);
    await admin.tokens.deletePersonalAccessToken({ userId: holder.userId, tokenId: holder.pat.id });
    expect(await outcome(holder.exchange)).toBe("16/TOKEN_INVALID");
    expect(await holder.introspect()).toMatchObject({ active: true, clientId: holder.pat.id });
    expect([await holder.onUserService(), await holder.onTokenService()]).toEqual(["OK", "OK"]);
  });
});

describe("streams opened with an access token", () => {
  it("when the user is suspended while it watches its logs then the stream ends UNAUTHENTICATED instead of delivering the next entry", async () => {
    const holder = await tokenHolder([logsRead]);
    const seen: string[] = [];
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 10_000);
    // From now, however late the call reaches user-service on a busy machine: the update below is never before it.
    const since = timestampFromDate(new Date());
    const watching = outcome(async () => {
      const stream = holder.clients.users.watchUserLogs(
        // Only the entries this test writes (the suspension's entry is the next message, which the re-check
        // must hold back); the exchange's own entry reaches the log through the outbox, at a time of its own.
        { userId: holder.userId, events: [UserLogEvent.USER_UPDATED, UserLogEvent.USER_SUSPENDED], startTime: since },
        { signal: abort.signal, timeoutMs: 15_000 },
      );
      for await (const response of stream)
        seen.push(UserLogEvent[response.userLog?.event ?? UserLogEvent.UNSPECIFIED] ?? "");
    });
    try {
      // The stream works: an entry written after it opened arrives.
      await new Promise((resolve) => setTimeout(resolve, 300));
      await admin.users.updateUser({ user: { id: holder.userId, name: "Watched" }, updateMask: { paths: ["name"] } });
      for (let waited = 0; seen.length === 0 && waited < 10_000; waited += 100)
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect(seen).toEqual(["USER_UPDATED"]);
      await admin.users.suspendUser({ userId: holder.userId });
      expect(await watching).toBe("16/USER_SUSPENDED");
      expect(seen).toEqual(["USER_UPDATED"]);
    } finally {
      clearTimeout(timer);
      abort.abort();
    }
  });
});
