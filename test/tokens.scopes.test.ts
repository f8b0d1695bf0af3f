import { randomUUID } from "node:crypto";
import { Code } from "@connectrpc/connect";
import { MongoClient } from "mongodb";
import { afterAll, describe, expect, it } from "vitest";
import { stackInfo } from "./helpers/stack-info.js";
import { newPat, outcome, refusalOf, rosterClients, uniqueName, userWithPermissions } from "./helpers/tokens.js";

const stack = stackInfo();
const clients = rosterClients(stack, stack.apiKey);
afterAll(() => clients.close());

/** Clients that present an access token exchanged from a new PAT of a user holding `permissions`. */
async function clientsOfUserWith(permissions: string[]) {
  const userId = await userWithPermissions(clients, permissions);
  const pat = await newPat(clients, userId);
  const minted = await clients.tokens.exchangePersonalAccessToken({ personalAccessToken: pat.secret });
  return { userId, pat, minted, own: rosterClients(stack, minted.accessToken) };
}

describe("scope grammar and service-only scopes of personal access tokens", () => {
  it("when a PAT names the service-only roster:logs:write then creation is INVALID_ARGUMENT SCOPE_NOT_GRANTABLE on scopes[1]", async () => {
    const userId = await userWithPermissions(clients, []);
    const create = () =>
      clients.tokens.createPersonalAccessToken({ userId, name: "audit", scopes: ["orders:read", "roster:logs:write"] });
    expect(await refusalOf(create)).toEqual({
      code: Code.InvalidArgument,
      reason: "SCOPE_NOT_GRANTABLE",
      fields: ["scopes[1]"],
    });
    expect((await clients.tokens.listPersonalAccessTokens({ userId })).totalSize).toBe(0);
  });

  it("when a PAT names a scope no role permission can hold then creation is INVALID_ARGUMENT INVALID_SCOPE on scopes[0]", async () => {
    const userId = await userWithPermissions(clients, []);
    const create = () =>
      clients.tokens.createPersonalAccessToken({ userId, name: "mixed", scopes: ["Roster:Users:Read"] });
    expect(await refusalOf(create)).toEqual({
      code: Code.InvalidArgument,
      reason: "INVALID_SCOPE",
      fields: ["scopes[0]"],
    });
    expect((await clients.tokens.listPersonalAccessTokens({ userId })).totalSize).toBe(0);
  });

  it("when an exchange requests a service-only scope then it is INVALID_ARGUMENT SCOPE_NOT_GRANTABLE on scopes[0]", async () => {
    const userId = await userWithPermissions(clients, ["orders:read"]);
    const pat = await newPat(clients, userId);
    const exchange = () =>
      clients.tokens.exchangePersonalAccessToken({ personalAccessToken: pat.secret, scopes: ["roster:logs:write"] });
    expect(await refusalOf(exchange)).toEqual({
      code: Code.InvalidArgument,
      reason: "SCOPE_NOT_GRANTABLE",
      fields: ["scopes[0]"],
    });
  });

  it("when a stored role carries roster:logs:write then exchange and introspection never grant it and the token cannot append logs", async () => {
    const mongo = await MongoClient.connect(stack.mongodbUri);
    const roleId = randomUUID();
    try {
      const name = uniqueName("legacy-");
      const now = new Date();
      await mongo
        .db(stack.env["user-service"].USER_SERVICE_DATABASE)
        .collection<{ _id: string; [field: string]: unknown }>("roles")
        .insertOne({
          _id: roleId,
          name,
          nameKey: name,
          description: "",
          permissions: ["orders:read", "roster:logs:write"],
          createTime: now,
          updateTime: now,
        });
    } finally {
      await mongo.close();
    }
    const userId = await userWithPermissions(clients, []);
    await clients.roles.assignUserRoles({ userId, roleIds: [roleId] });
    expect((await clients.roles.getUserPermissions({ userId })).permissions).toContain("roster:logs:write");
    const pat = await newPat(clients, userId);

    const minted = await clients.tokens.exchangePersonalAccessToken({ personalAccessToken: pat.secret });
    expect(minted.scopes).toEqual(["orders:read"]);
    expect((await clients.tokens.introspectToken({ token: pat.secret })).scope).toBe("orders:read");
    const own = rosterClients(stack, minted.accessToken);
    try {
      expect(await outcome(() => own.users.appendUserLog({ userId, event: 1, result: 1 }))).toBe(
        `${Code.PermissionDenied}/INSUFFICIENT_SCOPE`,
      );
    } finally {
      own.close();
    }
  });
});

describe("self-service scope roster:tokens:self", () => {
  it("when an access token holds roster:tokens:self then it creates, lists, updates and deletes its own user's PATs", async () => {
    const { userId, pat, own } = await clientsOfUserWith(["roster:tokens:self"]);
    try {
      const created = await own.tokens.createPersonalAccessToken({
        userId,
        name: "laptop",
        scopes: ["roster:tokens:self"],
      });
      const id = created.personalAccessToken?.id ?? "";
      const listed = await own.tokens.listPersonalAccessTokens({ userId });
      expect(listed.personalAccessTokens.map((t) => t.id).sort()).toEqual([id, pat.id].sort());
      const renamed = await own.tokens.updatePersonalAccessToken({
        personalAccessToken: { id, userId, name: "desktop" },
        updateMask: { paths: ["name"] },
      });
      expect(renamed.personalAccessToken?.name).toBe("desktop");
      await own.tokens.deletePersonalAccessToken({ userId, tokenId: id });
      expect((await clients.tokens.listPersonalAccessTokens({ userId })).personalAccessTokens.map((t) => t.id)).toEqual(
        [pat.id],
      );
    } finally {
      own.close();
    }
  });

  it("when an access token holds roster:tokens:self then every call naming another user is PERMISSION_DENIED NOT_OWN_RESOURCE", async () => {
    const { own } = await clientsOfUserWith(["roster:tokens:self"]);
    const victim = await userWithPermissions(clients, ["roster:users:write"]);
    const victimPat = await newPat(clients, victim);
    const denied = `${Code.PermissionDenied}/NOT_OWN_RESOURCE`;
    try {
      expect(await outcome(() => own.tokens.createPersonalAccessToken({ userId: victim, name: "stolen" }))).toBe(
        denied,
      );
      expect(await outcome(() => own.tokens.listPersonalAccessTokens({ userId: victim }))).toBe(denied);
      const update = {
        personalAccessToken: { id: victimPat.id, userId: victim, name: "x" },
        updateMask: { paths: ["name"] },
      };
      expect(await outcome(() => own.tokens.updatePersonalAccessToken(update))).toBe(denied);
      expect(await outcome(() => own.tokens.deletePersonalAccessToken({ userId: victim, tokenId: victimPat.id }))).toBe(
        denied,
      );
      expect(await outcome(() => own.tokens.deleteUserPersonalAccessTokens({ userId: victim }))).toBe(
        `${Code.PermissionDenied}/INSUFFICIENT_SCOPE`,
      );
      expect(
        (await clients.tokens.listPersonalAccessTokens({ userId: victim })).personalAccessTokens.map((t) => t.id),
      ).toEqual([victimPat.id]);
    } finally {
      own.close();
    }
  });

  it("when an access token holds roster:tokens:self then it cannot name its own PAT under another user's id", async () => {
    const { pat, own } = await clientsOfUserWith(["roster:tokens:self"]);
    const other = await userWithPermissions(clients, []);
    try {
      expect(await outcome(() => own.tokens.deletePersonalAccessToken({ userId: other, tokenId: pat.id }))).toBe(
        `${Code.PermissionDenied}/NOT_OWN_RESOURCE`,
      );
    } finally {
      own.close();
    }
  });
});
