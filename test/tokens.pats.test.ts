import { afterAll, describe, expect, it } from "vitest";
import { connectJson } from "./helpers/connect-json.js";
import { stackInfo } from "./helpers/stack-info.js";
import { startExtraTokenService } from "./helpers/extra-services.js";
import { newPat, outcome, rosterClients, uniqueName, userWithPermissions } from "./helpers/tokens.js";

const stack = stackInfo();
const clients = rosterClients(stack, stack.apiKey);
afterAll(() => clients.close());

describe("personal access token management", () => {
  it("when a token is created then the secret has the documented shape and is never listed", async () => {
    const userId = await userWithPermissions(clients, []);
    const created = await clients.tokens.createPersonalAccessToken({ userId, name: "ci", scopes: ["orders:read"] });
    expect(created.secret).toMatch(/^roster_pat_[0-9A-Za-z]{49}$/);
    const listed = await clients.tokens.listPersonalAccessTokens({ userId });
    expect(listed.totalSize).toBe(1);
    expect(listed.personalAccessTokens[0]).toMatchObject({
      name: "ci",
      scopes: ["orders:read"],
      hint: `roster_pat_…${created.secret.slice(-4)}`,
    });
    expect(JSON.stringify(listed, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))).not.toContain(
      created.secret.slice(11, 40),
    );
  });

  it("when two creates with the same name race then exactly one is ALREADY_EXISTS", async () => {
    const userId = await userWithPermissions(clients, []);
    const create = () => outcome(() => clients.tokens.createPersonalAccessToken({ userId, name: "same" }));
    expect((await Promise.all([create(), create()])).sort()).toEqual(["6/TOKEN_NAME_TAKEN", "OK"]);
  });

  it("when 150 creates for one user race on two token-service instances against the cap of 100 then exactly 100 succeed and the rest are TOKEN_LIMIT_REACHED", async () => {
    expect(stack.env["token-service"].ROSTER_MAX_TOKENS_PER_USER ?? "100").toBe("100");
    const second = await startExtraTokenService(stack, {});
    const secondClients = rosterClients(second.ports, stack.apiKey);
    try {
      const userId = await userWithPermissions(clients, []);
      const via = (i: number) => (i % 2 === 0 ? clients : secondClients);
      const outcomes = await Promise.all(
        Array.from({ length: 150 }, (_, i) =>
          outcome(() => via(i).tokens.createPersonalAccessToken({ userId, name: `race-${i}` })),
        ),
      );
      const tally: Record<string, number> = {};
      for (const o of outcomes) tally[o] = (tally[o] ?? 0) + 1;
      expect(tally).toEqual({ OK: 100, "8/TOKEN_LIMIT_REACHED": 50 });
      expect((await clients.tokens.listPersonalAccessTokens({ userId, pageSize: 1 })).totalSize).toBe(100);
    } finally {
      secondClients.close();
      await second.stop();
    }
  }, 60_000);

  it("when the user is unknown or the expiry is past then creation is refused with its reason", async () => {
    expect(await outcome(() => clients.tokens.createPersonalAccessToken({ userId: "no-such-user", name: "x" }))).toBe(
      "5/USER_NOT_FOUND",
    );
    const userId = await userWithPermissions(clients, []);
    const past = { seconds: BigInt(Math.floor(Date.now() / 1000) - 10), nanos: 0 };
    expect(await outcome(() => clients.tokens.createPersonalAccessToken({ userId, name: "x", expireTime: past }))).toBe(
      "3/EXPIRE_TIME_IN_PAST",
    );
  });

  it("when a suspended user is named then creation is FAILED_PRECONDITION", async () => {
    const userId = await userWithPermissions(clients, []);
    await clients.users.suspendUser({ userId });
    expect(await outcome(() => clients.tokens.createPersonalAccessToken({ userId, name: "x" }))).toBe(
      "9/USER_SUSPENDED",
    );
  });

  it("when renamed and deleted then the change shows and the deleted token stops working", async () => {
    const userId = await userWithPermissions(clients, []);
    const pat = await newPat(clients, userId);
    const updated = await clients.tokens.updatePersonalAccessToken({
      personalAccessToken: { id: pat.id, userId, name: "renamed" },
      updateMask: { paths: ["name"] },
    });
    expect(updated.personalAccessToken?.name).toBe("renamed");
    await clients.tokens.deletePersonalAccessToken({ userId, tokenId: pat.id });
    expect(await outcome(() => clients.tokens.exchangePersonalAccessToken({ personalAccessToken: pat.secret }))).toBe(
      "16/TOKEN_INVALID",
    );
    expect((await clients.tokens.introspectToken({ token: pat.secret })).active).toBe(false);
  });

  it("when one user's token is addressed under another user then it is NOT_FOUND and keeps working", async () => {
    const owner = await userWithPermissions(clients, ["orders:read"]);
    const other = await userWithPermissions(clients, []);
    const pat = await newPat(clients, owner);
    expect(await outcome(() => clients.tokens.deletePersonalAccessToken({ userId: other, tokenId: pat.id }))).toBe(
      "5/TOKEN_NOT_FOUND",
    );
    expect(
      await outcome(() =>
        clients.tokens.updatePersonalAccessToken({
          personalAccessToken: { id: pat.id, userId: other, name: "x" },
          updateMask: { paths: ["name"] },
        }),
      ),
    ).toBe("5/TOKEN_NOT_FOUND");
    expect((await clients.tokens.listPersonalAccessTokens({ userId: other })).totalSize).toBe(0);
    const minted = await clients.tokens.exchangePersonalAccessToken({ personalAccessToken: pat.secret });
    expect((await clients.tokens.introspectToken({ token: minted.accessToken })).sub).toBe(owner);
  });

  it("when a PAT's checksum is broken then exchange is TOKEN_MALFORMED and introspection inactive", async () => {
    const userId = await userWithPermissions(clients, []);
    const { secret } = await newPat(clients, userId);
    const typo = secret.slice(0, 20) + (secret[20] === "a" ? "b" : "a") + secret.slice(21);
    expect(await outcome(() => clients.tokens.exchangePersonalAccessToken({ personalAccessToken: typo }))).toBe(
      "16/TOKEN_MALFORMED",
    );
    expect(
      await outcome(() => clients.tokens.exchangePersonalAccessToken({ personalAccessToken: secret.slice(0, -2) })),
    ).toBe("16/TOKEN_MALFORMED");
    expect((await clients.tokens.introspectToken({ token: typo })).active).toBe(false);
  });

  it("when called with Connect JSON as curl would then the same API answers", async () => {
    const userId = await userWithPermissions(clients, []);
    const reply = await connectJson(
      stack.token.http,
      "/roster.token.v1.TokenService/CreatePersonalAccessToken",
      { userId, name: uniqueName("curl-"), expireTime: new Date(Date.now() + 3_600_000).toISOString() },
      stack.apiKey,
    );
    expect(reply.status).toBe(200);
    expect(String(reply.body.secret)).toMatch(/^roster_pat_/);
  });
});
