import { describe, expect, it } from "vitest";
import { eventually, outcome, uniqueName, usePrivatePair } from "./helpers/tokens.js";

// CreatePersonalAccessToken checks its user against token-service's copy of
// user access (kept current by user-service's change feed) instead of asking
// user-service on every create. The copy must never let a create through for a
// user that a suspension or deletion has already taken away.

const pair = usePrivatePair();

/** How many GetUser and GetUserAccess calls user-service has served so far. */
async function userLookups(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${pair.pair.ports.user.http}/metrics`)).text();
  return text
    .split("\n")
    .filter(
      (line) =>
        line.startsWith("roster_rpc_handled_total") &&
        /UserService\/GetUser"|RoleService\/(Batch)?GetUserAccess"/.test(line),
    )
    .reduce((sum, line) => sum + Number(line.split(" ").pop()), 0);
}

const create = (userId: string) => pair.clients.tokens.createPersonalAccessToken({ userId, name: uniqueName("pat-") });

/** A new user whose access the copy holds: once the feed is live, a create makes no user lookup. */
async function userInCopy(): Promise<string> {
  const { user } = await pair.clients.users.createUser({ username: uniqueName("copy") });
  const userId = user?.id ?? "";
  const lookupsPerCreate = async () => {
    const before = await userLookups();
    await create(userId);
    return (await userLookups()) - before;
  };
  expect(await eventually(lookupsPerCreate, (lookups) => lookups === 0, 15_000)).toBe(0);
  return userId;
}

describe("CreatePersonalAccessToken with the user-access feed live", () => {
  it("when the copy holds the user then ten creates make no GetUser or GetUserAccess call to user-service", async () => {
    const userId = await userInCopy();
    const before = await userLookups();
    for (let i = 0; i < 10; i++) await create(userId);
    expect(await userLookups()).toBe(before);
  });

  it("when SuspendUser returns then the next create is FAILED_PRECONDITION USER_SUSPENDED", async () => {
    const userId = await userInCopy();
    await pair.clients.users.suspendUser({ userId });
    expect(await outcome(() => create(userId))).toBe("9/USER_SUSPENDED");
  });

  it("when DeleteUser returns then the next create is NOT_FOUND USER_NOT_FOUND", async () => {
    const userId = await userInCopy();
    await pair.clients.users.deleteUser({ userId });
    expect(await outcome(() => create(userId))).toBe("5/USER_NOT_FOUND");
  });

  it("when user-service stops then, once its feed is lost, a create is UNAVAILABLE USER_SERVICE_UNAVAILABLE rather than answered from the copy", async () => {
    const userId = await userInCopy();
    await pair.pair.stopService("user-service");
    try {
      const refused = (result: string) => result === "14/USER_SERVICE_UNAVAILABLE";
      expect(await eventually(() => outcome(() => create(userId)), refused, 10_000)).toBe(
        "14/USER_SERVICE_UNAVAILABLE",
      );
    } finally {
      await pair.pair.startService("user-service");
    }
  }, 60_000);
});
