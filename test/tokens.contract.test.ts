import { ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema, UserLogEvent } from "@roster/client";
import { freePort } from "@roster/dev-stack";
import { generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stackInfo } from "./helpers/stack-info.js";
import { startExtraTokenService, type ExtraTokenService } from "./helpers/extra-services.js";
import {
  deliveredLogs,
  newPat,
  outcome,
  rosterClients,
  uniqueName,
  userWithPermissions,
  type RosterClients,
} from "./helpers/tokens.js";

const stack = stackInfo();
const clients = rosterClients(stack, stack.apiKey);

// Token-services beside the shared stack, signing with its keys but differing in one setting each.
const extras: Record<"shortLived" | "otherAudience" | "otherIssuer" | "noUserService", ExtraTokenService | undefined> =
  {
    shortLived: undefined,
    otherAudience: undefined,
    otherIssuer: undefined,
    noUserService: undefined,
  };
const opened: RosterClients[] = [clients];

function clientsOf(extra: ExtraTokenService | undefined, credential = stack.apiKey): RosterClients {
  if (extra === undefined) throw new Error("the extra token-service did not start");
  const made = rosterClients(extra.ports, credential);
  opened.push(made);
  return made;
}

/** Clients of the shared stack presenting `credential`. */
function as(credential: string): RosterClients {
  const made = rosterClients(stack, credential);
  opened.push(made);
  return made;
}

/**
 * The shortest lifetime token-service allows: long enough for both services to
 * judge the token fresh right after minting, over by the time the last test runs.
 */
const shortTtlSeconds = 5;
/** A token minted with the short lifetime at the start, and how both services judged it then. */
let expiring: { userId: string; token: string; expireMs: number; freshVerdict: Awaited<ReturnType<typeof verdictsOf>> };

beforeAll(async () => {
  const deadUserService = `http://127.0.0.1:${await freePort()}`;
  [extras.shortLived, extras.otherAudience, extras.otherIssuer, extras.noUserService] = await Promise.all([
    startExtraTokenService(stack, {
      ROSTER_ACCESS_TOKEN_TTL_SECONDS: String(shortTtlSeconds),
      ROSTER_MAX_TOKENS_PER_USER: "2",
    }),
    startExtraTokenService(stack, { ROSTER_TOKEN_AUDIENCE: "another-audience" }),
    startExtraTokenService(stack, { ROSTER_TOKEN_ISSUER: "another-issuer" }),
    startExtraTokenService(stack, { USER_SERVICE_URL: deadUserService }),
  ]);
  const { userId, token, minted } = await accessTokenFor(
    ["roster:users:read", "roster:tokens:read"],
    clientsOf(extras.shortLived),
  );
  expiring = {
    userId,
    token,
    expireMs: Number(minted.expireTime?.seconds) * 1000,
    freshVerdict: await verdictsOf(token, userId),
  };
}, 60_000);

afterAll(async () => {
  opened.forEach((c) => c.close());
  await Promise.all(Object.values(extras).map((extra) => extra?.stop()));
}, 30_000);

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
const decode = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>;

/** A user holding `permissions`, a PAT of theirs, and an access token minted from it by `via`. */
async function accessTokenFor(permissions: string[], via: RosterClients = clients) {
  const userId = await userWithPermissions(clients, permissions);
  const pat = await newPat(clients, userId);
  const minted = await via.tokens.exchangePersonalAccessToken({ personalAccessToken: pat.secret });
  return { userId, pat, minted, token: minted.accessToken };
}

/** How both services judge `token` as a credential, and whether token-service introspects it as active. */
async function verdictsOf(token: string, userId: string) {
  return {
    userService: await outcome(() => as(token).users.getUser({ userId })),
    tokenService: await outcome(() => as(token).tokens.getJwks({})),
    introspection: (await clients.tokens.introspectToken({ token })).active,
  };
}

const refused = { userService: "16/INVALID_CREDENTIAL", tokenService: "16/INVALID_CREDENTIAL", introspection: false };

/** `CODE/REASON field,field` of a call that must fail with INVALID_ARGUMENT. */
const badInput = (call: () => Promise<unknown>): Promise<string> =>
  outcome(call, (error) =>
    error
      .findDetails(BadRequestSchema)
      .flatMap((b) => b.fieldViolations.map((v) => v.field))
      .join(","),
  );

const inSeconds = (s: number) => ({ seconds: BigInt(Math.floor(Date.now() / 1000) + s), nanos: 0 });

describe("access tokens are verified the same way by both services", () => {
  it("when a management access token holds roster:users:read then GetUser works and CreateUser is PERMISSION_DENIED", async () => {
    const { userId, token } = await accessTokenFor(["roster:users:read"]);
    const reader = as(token);
    expect((await reader.users.getUser({ userId })).user?.id).toBe(userId);
    expect(await outcome(() => reader.users.createUser({ username: uniqueName("u") }))).toBe("7/INSUFFICIENT_SCOPE");
    expect(await outcome(() => reader.tokens.getJwks({}))).toBe("7/INSUFFICIENT_SCOPE");
  });

  it("when the signature is tampered with or alg is none then user-service refuses it too", async () => {
    const { userId, token } = await accessTokenFor(["roster:users:read", "roster:tokens:read"]);
    const [header, payload, signature] = token.split(".") as [string, string, string];
    const flipped = signature.slice(0, 10) + (signature[10] === "A" ? "B" : "A") + signature.slice(11);
    const widened = b64({ ...decode(payload), scope: "roster:users:read roster:users:write roster:tokens:read" });
    for (const forged of [
      `${header}.${payload}.${flipped}`,
      `${header}.${widened}.${signature}`,
      `${b64({ ...decode(header), alg: "none" })}.${payload}.`,
    ]) {
      expect(await verdictsOf(forged, userId), forged).toEqual(refused);
    }
  });

  it("when a token is signed by a key nobody published (unknown kid) then both services refuse it", async () => {
    const userId = await userWithPermissions(clients, []);
    const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({ scope: "roster:users:read roster:tokens:read" })
      .setProtectedHeader({ alg: "EdDSA", kid: "attacker-key", typ: "at+jwt" })
      .setIssuer(stack.env["token-service"].ROSTER_TOKEN_ISSUER ?? "roster")
      .setAudience(stack.env["token-service"].ROSTER_TOKEN_AUDIENCE ?? "roster")
      .setSubject(userId)
      .setJti(crypto.randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(privateKey);
    expect(await verdictsOf(forged, userId)).toEqual(refused);
  });

  for (const [name, extra, claim] of [
    ["audience", "otherAudience", "aud"],
    ["issuer", "otherIssuer", "iss"],
  ] as const) {
    it(`when a token signed with a published key carries another ${name} then both services refuse it`, async () => {
      const other = clientsOf(extras[extra]);
      const { userId, token } = await accessTokenFor(["roster:users:read", "roster:tokens:read"], other);
      expect(decode(token.split(".")[1] ?? "")[claim]).toBe(`another-${name}`);
      const kid = decode(token.split(".")[0] ?? "").kid;
      expect((await clients.tokens.getJwks({})).keys.map((k) => k.kid)).toContain(kid);
      // The minting service accepts it: the signature is sound, only the claim is foreign.
      expect((await other.tokens.introspectToken({ token })).active).toBe(true);
      expect(await verdictsOf(token, userId)).toEqual(refused);
    });
  }

  it("when the JWKS is fetched over plain HTTP then it equals GetJwks key for key, field for field", async () => {
    const response = await fetch(`http://127.0.0.1:${stack.token.http}/.well-known/jwks.json`, {
      signal: AbortSignal.timeout(10_000),
    });
    const http = (await response.json()) as { keys: Record<string, string>[] };
    const rpc = (await clients.tokens.getJwks({})).keys.map(({ kty, crv, x, y, kid, alg, use }) => ({
      kty,
      crv,
      x,
      kid,
      alg,
      use,
      ...(y === "" ? {} : { y }),
    }));
    expect(http.keys).toEqual(rpc);
  });

  it("when keys rotate then user-service accepts tokens signed before and after", async () => {
    const before = await accessTokenFor(["roster:users:read"]);
    const rotated = await clients.tokens.rotateSigningKeys({});
    const after = await clients.tokens.exchangePersonalAccessToken({ personalAccessToken: before.pat.secret });
    expect(decode(after.accessToken.split(".")[0] ?? "").kid).toBe(rotated.activeKeyId);
    for (const token of [before.token, after.accessToken]) {
      expect((await as(token).users.getUser({ userId: before.userId })).user?.id).toBe(before.userId);
    }
  });
});

describe("exchange grants", () => {
  it("when a role is removed from the user then the next exchange grants less; a narrower PAT or request grants the intersection", async () => {
    const userId = await userWithPermissions(clients, ["orders:read"]);
    const { role } = await clients.roles.createRole({
      role: { name: uniqueName("role-"), permissions: ["orders:write", "billing:read"] },
    });
    await clients.roles.assignUserRoles({ userId, roleIds: [role?.id ?? ""] });
    const wide = await newPat(clients, userId);
    const narrow = await newPat(clients, userId, ["orders:write", "admin:all"]);
    const exchange = (secret: string, scopes: string[] = []) =>
      clients.tokens.exchangePersonalAccessToken({ personalAccessToken: secret, scopes });
    expect((await exchange(wide.secret)).scopes).toEqual(["billing:read", "orders:read", "orders:write"]);
    expect((await exchange(narrow.secret)).scopes).toEqual(["orders:write"]);
    expect((await exchange(wide.secret, ["orders:read", "admin:all"])).scopes).toEqual(["orders:read"]);
    await clients.roles.removeUserRoles({ userId, roleIds: [role?.id ?? ""] });
    expect((await exchange(wide.secret)).scopes).toEqual(["orders:read"]);
    expect((await exchange(narrow.secret)).scopes).toEqual([]);
    expect((await clients.tokens.introspectToken({ token: wide.secret })).scope).toBe("orders:read");
  });

  it("when a PAT expires then exchange is TOKEN_EXPIRED and introspection inactive", async () => {
    const userId = await userWithPermissions(clients, []);
    const created = await clients.tokens.createPersonalAccessToken({ userId, name: "brief", expireTime: inSeconds(2) });
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(
      await outcome(() => clients.tokens.exchangePersonalAccessToken({ personalAccessToken: created.secret })),
    ).toBe("16/TOKEN_EXPIRED");
    expect(await clients.tokens.introspectToken({ token: created.secret })).toMatchObject({
      active: false,
      sub: "",
      scope: "",
    });
  });

  it("when a PAT is revoked then its introspection is inactive while access tokens minted before stay valid", async () => {
    const { userId, pat, token } = await accessTokenFor([]);
    await clients.tokens.deletePersonalAccessToken({ userId, tokenId: pat.id });
    expect(await clients.tokens.introspectToken({ token: pat.secret })).toMatchObject({
      active: false,
      clientId: "",
      tokenType: "",
    });
    expect(await clients.tokens.introspectToken({ token })).toMatchObject({ active: true, clientId: pat.id });
    expect(
      await deliveredLogs(
        clients,
        userId,
        (l) => l.event === UserLogEvent.PAT_REVOKED && l.payload?.token_id === pat.id,
      ),
    ).toHaveLength(1);
  });
});

describe("PAT changes in the user's log", () => {
  it("when a PAT is renamed and its expiry extended then each change is logged with its paths, name and expiry, and a refused rename with none", async () => {
    const userId = await userWithPermissions(clients, []);
    const pat = await newPat(clients, userId);
    const otherName = uniqueName("pat-");
    await clients.tokens.createPersonalAccessToken({ userId, name: otherName });
    const update = (personalAccessToken: object, paths: string[]) =>
      clients.tokens.updatePersonalAccessToken({
        personalAccessToken: { userId, id: pat.id, ...personalAccessToken },
        updateMask: { paths },
      });
    await update({ name: "renamed" }, ["name"]);
    const expireTime = { seconds: BigInt(Math.floor(Date.now() / 1000) + 86_400 * 365) };
    await update({ expireTime }, ["expire_time"]);
    expect(await outcome(() => update({ name: otherName }, ["name"]))).toBe("6/TOKEN_NAME_TAKEN");
    const updates = await deliveredLogs(clients, userId, (l) => l.event === UserLogEvent.PAT_UPDATED, 2);
    const expiry = new Date(Number(expireTime.seconds) * 1000).toISOString();
    expect(updates.map((l) => l.payload).reverse()).toEqual([
      { token_id: pat.id, paths: "name", name: "renamed" },
      { token_id: pat.id, paths: "expire_time", expire_time: expiry },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const logged = (await clients.users.listUserLogs({ userId, events: [UserLogEvent.PAT_UPDATED] })).userLogs;
    expect(logged).toHaveLength(2);
  });
});

describe("documented errors", () => {
  it("when a user reaches the configured cap then the next create is RESOURCE_EXHAUSTED TOKEN_LIMIT_REACHED", async () => {
    const capped = clientsOf(extras.shortLived);
    const userId = await userWithPermissions(clients, []);
    const create = () => capped.tokens.createPersonalAccessToken({ userId, name: uniqueName("pat-") });
    await create();
    await create();
    expect(await outcome(create)).toBe("8/TOKEN_LIMIT_REACHED");
  });

  it("when user-service is unreachable then create is UNAVAILABLE USER_SERVICE_UNAVAILABLE", async () => {
    const orphan = clientsOf(extras.noUserService);
    expect(await outcome(() => orphan.tokens.createPersonalAccessToken({ userId: "u_unreachable", name: "x" }))).toBe(
      "14/USER_SERVICE_UNAVAILABLE",
    );
  });

  it("when renamed onto a taken name then it is ALREADY_EXISTS TOKEN_NAME_TAKEN", async () => {
    const userId = await userWithPermissions(clients, []);
    const first = await clients.tokens.createPersonalAccessToken({ userId, name: "first" });
    await clients.tokens.createPersonalAccessToken({ userId, name: "second" });
    const rename = {
      personalAccessToken: { id: first.personalAccessToken?.id ?? "", userId, name: "second" },
      updateMask: { paths: ["name"] },
    };
    expect(await outcome(() => clients.tokens.updatePersonalAccessToken(rename))).toBe("6/TOKEN_NAME_TAKEN");
  });

  it("when a user's tokens are deleted at once then the count is returned, a repeat and an unknown user count 0", async () => {
    const userId = await userWithPermissions(clients, []);
    const pats = [await newPat(clients, userId), await newPat(clients, userId)];
    expect((await clients.tokens.deleteUserPersonalAccessTokens({ userId })).deletedCount).toBe(2);
    expect((await clients.tokens.deleteUserPersonalAccessTokens({ userId })).deletedCount).toBe(0);
    expect((await clients.tokens.deleteUserPersonalAccessTokens({ userId: "u_nobody" })).deletedCount).toBe(0);
    for (const pat of pats) {
      expect(await outcome(() => clients.tokens.exchangePersonalAccessToken({ personalAccessToken: pat.secret }))).toBe(
        "16/TOKEN_INVALID",
      );
    }
  });

  it("when an RPC is called without the scope its comment names then it is PERMISSION_DENIED naming that scope", async () => {
    const { userId, pat, token } = await accessTokenFor(["orders:read"]);
    const weak = as(token);
    const calls: [string, () => Promise<unknown>][] = [
      ["roster:tokens:write", () => weak.tokens.createPersonalAccessToken({ userId, name: "x" })],
      ["roster:tokens:read", () => weak.tokens.listPersonalAccessTokens({ userId })],
      [
        "roster:tokens:write",
        () =>
          weak.tokens.updatePersonalAccessToken({
            personalAccessToken: { id: pat.id, userId, name: "y" },
            updateMask: { paths: ["name"] },
          }),
      ],
      ["roster:tokens:write", () => weak.tokens.deletePersonalAccessToken({ userId, tokenId: pat.id })],
      ["roster:tokens:write", () => weak.tokens.deleteUserPersonalAccessTokens({ userId })],
      ["roster:tokens:read", () => weak.tokens.introspectToken({ token: pat.secret })],
      ["roster:tokens:read", () => weak.tokens.getJwks({})],
      ["roster:keys:write", () => weak.tokens.rotateSigningKeys({})],
    ];
    for (const [scope, call] of calls) {
      const error = await call().then(
        () => undefined,
        (err: unknown) => ConnectError.from(err),
      );
      expect(error?.code).toBe(7);
      expect(error?.findDetails(ErrorInfoSchema)[0]).toMatchObject({
        reason: "INSUFFICIENT_SCOPE",
        metadata: { scope },
      });
    }
    expect(await outcome(() => as("roster_key_not-a-real-key").tokens.listPersonalAccessTokens({ userId }))).toBe(
      "16/INVALID_CREDENTIAL",
    );
    const listed = await clients.tokens.listPersonalAccessTokens({ userId });
    expect(listed.personalAccessTokens.map((p) => p.id)).toEqual([pat.id]);
    expect(listed.personalAccessTokens[0]?.name).not.toBe("y");
  });
});

describe("bad input", () => {
  it("when any field is missing, malformed or over its limit then it is INVALID_ARGUMENT naming the field and nothing is written", async () => {
    const userId = await userWithPermissions(clients, []);
    const pat = await newPat(clients, userId);
    const t = clients.tokens;
    const update = (token: object, paths: string[]) =>
      t.updatePersonalAccessToken({ personalAccessToken: { id: pat.id, userId, ...token }, updateMask: { paths } });
    const cases: [string, () => Promise<unknown>][] = [
      ["3/INVALID_ARGUMENT user_id", () => t.createPersonalAccessToken({ userId: "", name: "x" })],
      ["3/INVALID_ARGUMENT user_id", () => t.createPersonalAccessToken({ userId: "u".repeat(65), name: "x" })],
      ["3/INVALID_ARGUMENT name", () => t.createPersonalAccessToken({ userId, name: "" })],
      ["3/INVALID_ARGUMENT name", () => t.createPersonalAccessToken({ userId, name: "  \t" })],
      ["3/INVALID_ARGUMENT name", () => t.createPersonalAccessToken({ userId, name: "n".repeat(65) })],
      ["3/INVALID_SCOPE scopes[1]", () => t.createPersonalAccessToken({ userId, name: "x", scopes: ["ok", ""] })],
      ["3/INVALID_SCOPE scopes[0]", () => t.createPersonalAccessToken({ userId, name: "x", scopes: ["has space"] })],
      [
        "3/INVALID_SCOPE scopes[0]",
        () => t.createPersonalAccessToken({ userId, name: "x", scopes: ["s".repeat(129)] }),
      ],
      [
        "3/INVALID_ARGUMENT scopes",
        () => t.createPersonalAccessToken({ userId, name: "x", scopes: Array.from({ length: 51 }, (_, i) => `s${i}`) }),
      ],
      [
        "3/EXPIRE_TIME_IN_PAST expire_time",
        () => t.createPersonalAccessToken({ userId, name: "x", expireTime: inSeconds(-5) }),
      ],
      ["3/INVALID_ARGUMENT user_id", () => t.listPersonalAccessTokens({ userId: "" })],
      ["3/INVALID_ARGUMENT page_size", () => t.listPersonalAccessTokens({ userId, pageSize: -1 })],
      ["3/INVALID_PAGE_TOKEN page_token", () => t.listPersonalAccessTokens({ userId, pageToken: "not-a-token" })],
      [
        "3/INVALID_ARGUMENT personal_access_token.user_id",
        () => t.updatePersonalAccessToken({ updateMask: { paths: ["name"] } }),
      ],
      ["3/INVALID_ARGUMENT personal_access_token.id", () => update({ id: "", name: "x" }, ["name"])],
      ["3/INVALID_UPDATE_MASK update_mask", () => update({ name: "x" }, [])],
      ["3/INVALID_UPDATE_MASK update_mask", () => update({ name: "x", scopes: ["a"] }, ["scopes"])],
      ["3/INVALID_ARGUMENT personal_access_token.name", () => update({ name: "" }, ["name"])],
      [
        "3/EXPIRE_TIME_IN_PAST personal_access_token.expire_time",
        () => update({ expireTime: inSeconds(-5) }, ["expire_time"]),
      ],
      ["3/INVALID_ARGUMENT user_id", () => t.deletePersonalAccessToken({ userId: "", tokenId: pat.id })],
      ["3/INVALID_ARGUMENT token_id", () => t.deletePersonalAccessToken({ userId, tokenId: "" })],
      ["3/INVALID_ARGUMENT user_id", () => t.deleteUserPersonalAccessTokens({ userId: "" })],
      ["3/INVALID_ARGUMENT personal_access_token", () => t.exchangePersonalAccessToken({ personalAccessToken: "" })],
      [
        "3/INVALID_ARGUMENT personal_access_token",
        () => t.exchangePersonalAccessToken({ personalAccessToken: pat.secret + "x".repeat(200) }),
      ],
      [
        "3/INVALID_SCOPE scopes[0]",
        () => t.exchangePersonalAccessToken({ personalAccessToken: pat.secret, scopes: [""] }),
      ],
      [
        "3/INVALID_ARGUMENT scopes",
        () =>
          t.exchangePersonalAccessToken({
            personalAccessToken: pat.secret,
            scopes: Array.from({ length: 51 }, (_, i) => `s${i}`),
          }),
      ],
      ["3/INVALID_ARGUMENT token", () => t.introspectToken({ token: "" })],
      ["3/INVALID_ARGUMENT token", () => t.introspectToken({ token: "x".repeat(8 * 1024 + 1) })],
    ];
    const results = [];
    for (const [, call] of cases) results.push(await badInput(call));
    expect(results).toEqual(cases.map(([expected]) => expected));

    const listed = await t.listPersonalAccessTokens({ userId });
    expect(listed.totalSize).toBe(1);
    const [kept] = listed.personalAccessTokens;
    expect(kept?.id).toBe(pat.id);
    expect(kept?.name).toMatch(/^pat-/);
    expect(kept?.expireTime).toBeUndefined();
    expect(kept?.lastUseTime).toBeUndefined();
    await deliveredLogs(clients, userId, (l) => l.event === UserLogEvent.PAT_CREATED);
    const events = (await clients.users.listUserLogs({ userId })).userLogs.map((l) => l.event);
    expect(events.filter((e) => e === UserLogEvent.PAT_CREATED)).toHaveLength(1);
    expect(events).not.toContain(UserLogEvent.PAT_EXCHANGED);
    expect(events).not.toContain(UserLogEvent.PAT_REVOKED);
  });
});

// Last, so the token minted in beforeAll ages while the other tests run.
describe("expiry", () => {
  it("when an access token has expired then both services refuse it, though they accepted it before", async () => {
    const { userId, token, expireMs, freshVerdict } = expiring;
    expect(freshVerdict).toEqual({ userService: "OK", tokenService: "OK", introspection: true });
    const claims = decode(token.split(".")[1] ?? "");
    expect(Number(claims.exp) - Number(claims.iat)).toBe(shortTtlSeconds);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expireMs + 1_500 - Date.now())));
    expect(await verdictsOf(token, userId)).toEqual(refused);
  });
});
