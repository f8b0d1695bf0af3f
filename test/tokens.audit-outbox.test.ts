import { UserLogEvent } from "@roster/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTcpProxy } from "./helpers/tcp-proxy.js";
import { newPat, outcome, usePrivatePair, userWithPermissions } from "./helpers/tokens.js";

// token-service reaches user-service through a relay the tests can cut while both stay up.
let relay: Awaited<ReturnType<typeof startTcpProxy>>;
beforeAll(async () => {
  relay = await startTcpProxy();
});
afterAll(() => relay?.close());

// Stop/start scenarios need services of their own; delivery retries at most every second here.
const privatePair = usePrivatePair(() => ({
  TOKEN_SERVICE_AUDIT_RETRY_MAX_MS: "1000",
  USER_SERVICE_URL: `http://127.0.0.1:${relay.port}`,
}));
beforeAll(() => relay.forwardTo(privatePair.pair.ports.user.grpc));

/** The user's PAT_REVOKED entries' payloads, once `count` of them are there or `timeoutMs` has passed. */
async function revokedEntries(userId: string, count: number, timeoutMs: number) {
  const { clients } = privatePair;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { userLogs } = await clients.users.listUserLogs({ userId, events: [UserLogEvent.PAT_REVOKED] });
    if (userLogs.length >= count || Date.now() > deadline) return userLogs.map((log) => log.payload);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

/** Waits past a few delivery rounds, so an entry delivered twice would show. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 3_000));

describe("audit entries through the outbox", () => {
  it("when token-service cannot reach user-service during DeleteUser's clean-up then the tokens go and the PAT_REVOKED entry arrives once it can, exactly once", async () => {
    const { clients } = privatePair;
    const userId = await userWithPermissions(clients, []);
    await newPat(clients, userId);
    relay.cut();
    try {
      await clients.users.deleteUser({ userId });
      const deadline = Date.now() + 30_000;
      while ((await clients.tokens.listPersonalAccessTokens({ userId })).totalSize > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      expect((await clients.tokens.listPersonalAccessTokens({ userId })).totalSize).toBe(0);
      await settle();
      expect(await revokedEntries(userId, 1, 0)).toEqual([]);
    } finally {
      relay.restore();
    }
    await revokedEntries(userId, 1, 30_000);
    await settle();
    expect(await revokedEntries(userId, 2, 0)).toEqual([{ reason: "USER_DELETED", count: 1 }]);
  }, 90_000);

  it("when a PAT is revoked while user-service is down then the call is UNAVAILABLE (no instance confirmed), the revocation stands and its PAT_REVOKED entry appears exactly once", async () => {
    const { pair, clients } = privatePair;
    const userId = await userWithPermissions(clients, []);
    const pat = await newPat(clients, userId);
    await pair.stopService("user-service");
    try {
      // Stored, but its publication to the other instances' caches could not be confirmed: never an OK then.
      expect(await outcome(() => clients.tokens.deletePersonalAccessToken({ userId, tokenId: pat.id }))).toBe(
        "14/USER_SERVICE_UNAVAILABLE",
      );
      expect((await clients.tokens.introspectToken({ token: pat.secret })).active).toBe(false);
    } finally {
      await pair.startService("user-service");
    }
    expect((await clients.tokens.listPersonalAccessTokens({ userId })).totalSize).toBe(0);
    await revokedEntries(userId, 1, 30_000);
    await settle();
    const entries = await revokedEntries(userId, 2, 0);
    expect(entries).toEqual([{ token_id: pat.id, name: expect.any(String) }]);
  }, 90_000);

  it("when user-service is reachable again after delivery failed meanwhile then the first exchange is answered, not UNAVAILABLE", async () => {
    const { pair, clients } = privatePair;
    const userId = await userWithPermissions(clients, []);
    const kept = await newPat(clients, userId);
    const revoked = await newPat(clients, userId);
    const undelivered = () =>
      pair.output("token-service").filter((line) => line.includes("audit entry not delivered yet")).length;
    const before = undelivered();
    relay.cut();
    try {
      expect(await outcome(() => clients.tokens.deletePersonalAccessToken({ userId, tokenId: revoked.id }))).toBe(
        "14/USER_SERVICE_UNAVAILABLE",
      );
      // Delivery has tried (and failed) on its own, more than once, while nothing else called user-service.
      await expect.poll(undelivered, { timeout: 20_000 }).toBeGreaterThanOrEqual(before + 2);
    } finally {
      relay.restore();
    }
    expect(
      (await clients.tokens.exchangePersonalAccessToken({ personalAccessToken: kept.secret })).accessToken,
    ).not.toBe("");
  }, 90_000);

  it("when a user is deleted while token-service is down then its clean-up's PAT_REVOKED entry appears exactly once", async () => {
    const { pair, clients } = privatePair;
    const userId = await userWithPermissions(clients, []);
    await newPat(clients, userId);
    await newPat(clients, userId);
    await pair.stopService("token-service");
    try {
      await clients.users.deleteUser({ userId });
    } finally {
      await pair.startService("token-service");
    }
    await revokedEntries(userId, 1, 40_000);
    await settle();
    expect(await revokedEntries(userId, 2, 0)).toEqual([{ reason: "USER_DELETED", count: 2 }]);
  }, 90_000);
});
