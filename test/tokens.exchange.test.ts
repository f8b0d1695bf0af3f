import { afterAll, describe, expect, it } from "vitest";
import { connectJson } from "./helpers/connect-json.js";
import { stackInfo } from "./helpers/stack-info.js";
import { deliveredLogs, newPat, outcome, rosterClients, userWithPermissions } from "./helpers/tokens.js";

const stack = stackInfo();
const clients = rosterClients(stack, stack.apiKey);
afterAll(() => clients.close());

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
const decode = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>;

async function mintedFor(permissions: string[], patScopes: string[] = [], requested: string[] = []) {
  const userId = await userWithPermissions(clients, permissions);
  const pat = await newPat(clients, userId, patScopes);
  const minted = await clients.tokens.exchangePersonalAccessToken({
    personalAccessToken: pat.secret,
    scopes: requested,
  });
  return { userId, pat, minted };
}

describe("introspection over Connect JSON (RFC 7662 §2.2)", () => {
  const introspect = (token: string) =>
    connectJson(stack.token.http, "/roster.token.v1.TokenService/IntrospectToken", { token }, stack.apiKey);

  it('when the token is inactive then the JSON says "active": false and nothing else', async () => {
    const userId = await userWithPermissions(clients, ["orders:read"]);
    const pat = await newPat(clients, userId);
    await clients.tokens.deletePersonalAccessToken({ userId, tokenId: pat.id });
    for (const token of [pat.secret, "not-a-token"]) {
      expect(await introspect(token)).toEqual({ status: 200, body: { active: false } });
    }
  });

  it('when the token is active then the JSON says "active": true with sub and scope', async () => {
    const { userId, minted } = await mintedFor(["orders:read"]);
    const { status, body } = await introspect(minted.accessToken);
    expect(status).toBe(200);
    expect(body).toMatchObject({ active: true, sub: userId, scope: "orders:read" });
  });
});

describe("exchange", () => {
  it("when exchanged then the JWT carries iss, sub, aud, exp, iat, jti and the intersected scope", async () => {
    const { userId, pat, minted } = await mintedFor(
      ["orders:read", "orders:write"],
      ["orders:read", "billing:read"],
      ["orders:read", "orders:write"],
    );
    expect(minted.tokenType).toBe("Bearer");
    expect(minted.scopes).toEqual(["orders:read"]);
    const [header, payload] = minted.accessToken.split(".") as [string, string];
    expect(decode(header)).toMatchObject({ alg: "EdDSA", typ: "at+jwt" });
    const claims = decode(payload);
    expect(claims).toMatchObject({ sub: userId, scope: "orders:read", client_id: pat.id });
    for (const claim of ["iss", "aud", "exp", "iat", "jti"]) expect(claims[claim]).toBeDefined();
    expect(Number(claims.exp) - Number(claims.iat)).toBe(900);
    const introspected = await clients.tokens.introspectToken({ token: minted.accessToken });
    expect(introspected).toMatchObject({
      active: true,
      sub: userId,
      scope: "orders:read",
      tokenType: "access_token",
      clientId: pat.id,
    });
  });

  it("when the user is suspended then the PAT is refused from the moment SuspendUser returns", async () => {
    const userId = await userWithPermissions(clients, ["orders:read"]);
    const pat = await newPat(clients, userId);
    const minted = await clients.tokens.exchangePersonalAccessToken({ personalAccessToken: pat.secret });
    await clients.users.suspendUser({ userId });
    expect(await outcome(() => clients.tokens.exchangePersonalAccessToken({ personalAccessToken: pat.secret }))).toBe(
      "16/USER_SUSPENDED",
    );
    expect((await clients.tokens.introspectToken({ token: pat.secret })).active).toBe(false);
    expect((await clients.tokens.introspectToken({ token: minted.accessToken })).active).toBe(false);
  });

  it("when the user is deleted then the PAT is refused from the moment DeleteUser returns", async () => {
    const userId = await userWithPermissions(clients, ["orders:read"]);
    const pat = await newPat(clients, userId);
    await clients.users.deleteUser({ userId });
    expect(await outcome(() => clients.tokens.exchangePersonalAccessToken({ personalAccessToken: pat.secret }))).toBe(
      "16/TOKEN_INVALID",
    );
    expect((await clients.tokens.introspectToken({ token: pat.secret })).active).toBe(false);
  });

  it("when exchanged then the user's log has a PAT_EXCHANGED entry", async () => {
    const { userId, pat } = await mintedFor([]);
    const exchanged = await deliveredLogs(clients, userId, (l) => l.payload?.token_id === pat.id && l.event === 19);
    expect(exchanged).toHaveLength(1);
  });

  it("when called without any credential then exchange still works: the PAT is the credential", async () => {
    const userId = await userWithPermissions(clients, []);
    const pat = await newPat(clients, userId);
    const anonymous = rosterClients(stack, "");
    try {
      const minted = await anonymous.tokens.exchangePersonalAccessToken({ personalAccessToken: pat.secret });
      expect(minted.accessToken.split(".")).toHaveLength(3);
      expect(await outcome(() => anonymous.tokens.introspectToken({ token: pat.secret }))).toBe(
        "16/MISSING_CREDENTIAL",
      );
    } finally {
      anonymous.close();
    }
  });
});

describe("forged and foreign access tokens", () => {
  it("when the signature is tampered with, alg is none, or the kid is unknown then introspection is inactive", async () => {
    const { minted } = await mintedFor(["orders:read"]);
    const [header, payload, signature] = minted.accessToken.split(".") as [string, string, string];
    const widened = b64({ ...decode(payload), scope: "orders:read orders:write roster:users:write" });
    const flipped = signature.slice(0, 10) + (signature[10] === "A" ? "B" : "A") + signature.slice(11);
    const forgeries = [
      `${header}.${widened}.${signature}`,
      `${header}.${payload}.${flipped}`,
      `${b64({ ...decode(header), alg: "none" })}.${payload}.`,
      `${b64({ ...decode(header), kid: "no-such-key" })}.${payload}.${signature}`,
    ];
    for (const token of forgeries) {
      expect((await clients.tokens.introspectToken({ token })).active, token).toBe(false);
    }
  });

  it("when a forged token is presented as a management credential then it is UNAUTHENTICATED", async () => {
    const { minted } = await mintedFor(["roster:tokens:read"]);
    const [header, payload] = minted.accessToken.split(".") as [string, string];
    const none = rosterClients(stack, `${b64({ ...decode(header), alg: "none" })}.${payload}.`);
    try {
      expect(await outcome(() => none.tokens.getJwks({}))).toBe("16/INVALID_CREDENTIAL");
    } finally {
      none.close();
    }
  });

  it("when an access token carries a management scope then it manages tokens; without it, PERMISSION_DENIED", async () => {
    const reader = await mintedFor(["roster:tokens:read"]);
    const plain = await mintedFor(["orders:read"]);
    const withScope = rosterClients(stack, reader.minted.accessToken);
    const withoutScope = rosterClients(stack, plain.minted.accessToken);
    try {
      expect((await withScope.tokens.listPersonalAccessTokens({ userId: reader.userId })).totalSize).toBe(1);
      expect(
        await outcome(() => withScope.tokens.createPersonalAccessToken({ userId: reader.userId, name: "x" })),
      ).toBe("7/INSUFFICIENT_SCOPE");
      expect(await outcome(() => withoutScope.tokens.listPersonalAccessTokens({ userId: plain.userId }))).toBe(
        "7/INSUFFICIENT_SCOPE",
      );
    } finally {
      withScope.close();
      withoutScope.close();
    }
  });
});
