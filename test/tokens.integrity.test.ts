import { describe, expect, it } from "vitest";
import { eventually, newPat, outcome, rosterClients, usePrivatePair, userWithPermissions } from "./helpers/tokens.js";

// Stop/start scenarios need services of their own: the shared stack serves every other test file.
const privatePair = usePrivatePair();

describe("token-service restarts", () => {
  it("when token-service restarts between issuing and verifying then the access token and the PAT still work", async () => {
    const { pair, clients } = privatePair;
    const userId = await userWithPermissions(clients, ["orders:read"]);
    const pat = await newPat(clients, userId);
    const minted = await clients.tokens.exchangePersonalAccessToken({ personalAccessToken: pat.secret });
    await pair.restart("token-service");
    expect(await clients.tokens.introspectToken({ token: minted.accessToken })).toMatchObject({
      active: true,
      sub: userId,
      scope: "orders:read",
    });
    expect((await clients.tokens.exchangePersonalAccessToken({ personalAccessToken: pat.secret })).scopes).toEqual([
      "orders:read",
    ]);
  }, 60_000);

  it("when a user is deleted while token-service is down then its tokens are never usable again and are removed once it is back", async () => {
    const { pair, clients } = privatePair;
    const userId = await userWithPermissions(clients, ["orders:read"]);
    const pats = [await newPat(clients, userId), await newPat(clients, userId)];
    await pair.stopService("token-service");
    await clients.users.deleteUser({ userId });
    await pair.startService("token-service");
    for (const pat of pats) {
      expect(await outcome(() => clients.tokens.exchangePersonalAccessToken({ personalAccessToken: pat.secret }))).toBe(
        "16/TOKEN_INVALID",
      );
      expect((await clients.tokens.introspectToken({ token: pat.secret })).active).toBe(false);
    }
    const listed = await eventually(
      () => clients.tokens.listPersonalAccessTokens({ userId }),
      (page) => page.totalSize === 0,
      40_000,
    );
    expect(listed.totalSize).toBe(0);
  }, 90_000);

  it("when user-service is down then exchange and PAT introspection are UNAVAILABLE, never a verdict on the token", async () => {
    const { pair, clients } = privatePair;
    const userId = await userWithPermissions(clients, []);
    const pat = await newPat(clients, userId);
    await pair.stopService("user-service");
    try {
      expect(await outcome(() => clients.tokens.exchangePersonalAccessToken({ personalAccessToken: pat.secret }))).toBe(
        "14/USER_SERVICE_UNAVAILABLE",
      );
      expect(await outcome(() => clients.tokens.introspectToken({ token: pat.secret }))).toBe(
        "14/USER_SERVICE_UNAVAILABLE",
      );
    } finally {
      await pair.startService("user-service");
    }
    const back = await eventually(
      () => outcome(() => clients.tokens.exchangePersonalAccessToken({ personalAccessToken: pat.secret })),
      (result) => result === "OK",
      30_000,
    );
    expect(back).toBe("OK");
  }, 90_000);

  it("when user-service is down then token-service refuses access tokens with UNAVAILABLE, never grants them", async () => {
    const { pair, clients } = privatePair;
    const userId = await userWithPermissions(clients, ["roster:tokens:read"]);
    const pat = await newPat(clients, userId);
    const { accessToken } = await clients.tokens.exchangePersonalAccessToken({ personalAccessToken: pat.secret });
    const holder = rosterClients(pair.ports, accessToken);
    try {
      expect(await outcome(() => holder.tokens.listPersonalAccessTokens({ userId }))).toBe("OK");
      await pair.stopService("user-service");
      try {
        expect(await outcome(() => holder.tokens.listPersonalAccessTokens({ userId }))).toBe(
          "14/USER_SERVICE_UNAVAILABLE",
        );
        expect(await outcome(() => clients.tokens.introspectToken({ token: accessToken }))).toBe(
          "14/USER_SERVICE_UNAVAILABLE",
        );
      } finally {
        await pair.startService("user-service");
      }
    } finally {
      holder.close();
    }
  }, 90_000);
});
