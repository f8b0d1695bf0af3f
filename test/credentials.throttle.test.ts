// Failed credentials are throttled per client address and per target, answered
// with RESOURCE_EXHAUSTED + RetryInfo, counted in /metrics and logged at a
// bounded rate. A private pair with small limits keeps the shared stack out of it.
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { fromBinary, type DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  ErrorInfoSchema,
  RetryInfoSchema,
  TokenService,
  UserService,
  closeClient,
  createUserServiceClient,
} from "@roster/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectJson } from "./helpers/connect-json.js";
import { stackInfo } from "./helpers/stack-info.js";
import {
  newPat,
  outcome,
  rosterClients,
  startPrivatePair,
  uniqueName,
  userWithPermissions,
  type RosterClients,
} from "./helpers/tokens.js";

const perAddress = 5;
const perTarget = 3;
const logLinesPerMinute = 4;

let pair: Awaited<ReturnType<typeof startPrivatePair>>;
let clients: RosterClients;
let apiKey: string;

beforeAll(async () => {
  const stack = stackInfo();
  apiKey = stack.apiKey;
  pair = await startPrivatePair(stack, {
    ROSTER_RATE_LIMIT_PER_ADDRESS: String(perAddress),
    ROSTER_RATE_LIMIT_PER_TARGET: String(perTarget),
    ROSTER_RATE_LIMIT_INTROSPECTION_PER_ADDRESS: String(perAddress),
    ROSTER_AUTH_FAILURE_LOG_LINES_PER_MINUTE: String(logLinesPerMinute),
  });
  clients = rosterClients(pair.ports, apiKey);
}, 60_000);

afterAll(async () => {
  clients?.close();
  await pair?.stop();
});

/** A client whose connections leave from `localAddress` (another loopback address is another client address). */
function clientFrom<T extends DescService>(
  service: T,
  port: number,
  localAddress: string,
  credential: string,
): Client<T> {
  const transport = createGrpcTransport({
    baseUrl: `http://127.0.0.1:${port}`,
    nodeOptions: { createConnection: () => connect({ host: "127.0.0.1", port, localAddress }) },
    interceptors: [(next) => (req) => (req.header.set("authorization", `Bearer ${credential}`), next(req))],
  });
  return createClient(service, transport);
}

/** The retry delay, in seconds, of a RESOURCE_EXHAUSTED answer. */
async function retryDelayOf(call: () => Promise<unknown>): Promise<number> {
  try {
    await call();
  } catch (err) {
    const error = ConnectError.from(err);
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(error.findDetails(ErrorInfoSchema)[0]?.reason).toBe("RATE_LIMITED");
    const delay = error.findDetails(RetryInfoSchema)[0]?.retryDelay;
    return Number(delay?.seconds ?? 0n) + (delay?.nanos ?? 0) / 1e9;
  }
  throw new Error("the call was served");
}

/** A PAT that was valid once and is deleted now: well-formed, unknown. */
async function deletedPat(): Promise<string> {
  const userId = await userWithPermissions(clients, []);
  const pat = await newPat(clients, userId);
  await clients.tokens.deletePersonalAccessToken({ userId, tokenId: pat.id });
  return pat.secret;
}

const malformedPat = () => `roster_pat_${randomBytes(24).toString("hex").slice(0, 49)}`;

async function metricsOf(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  return response.text();
}

function failureCount(metrics: string, labels: { credential: string; reason: string }): number {
  const line = metrics
    .split("\n")
    .find(
      (l) =>
        l.startsWith("roster_auth_failures_total{") &&
        l.includes(`credential="${labels.credential}"`) &&
        l.includes(`reason="${labels.reason}"`),
    );
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("ExchangePersonalAccessToken", () => {
  it("when one address sends a burst of bad PATs then it is cut off with RESOURCE_EXHAUSTED and a RetryInfo, while another address is still served", async () => {
    const userId = await userWithPermissions(clients, []);
    const valid = await newPat(clients, userId);
    const results: string[] = [];
    for (let i = 0; i < perAddress + 3; i++) {
      results.push(
        await outcome(() => clients.tokens.exchangePersonalAccessToken({ personalAccessToken: malformedPat() })),
      );
    }
    expect(results).toEqual([
      ...Array<string>(perAddress).fill(`${Code.Unauthenticated}/TOKEN_MALFORMED`),
      ...Array<string>(3).fill(`${Code.ResourceExhausted}/RATE_LIMITED`),
    ]);
    // Over native gRPC: the RetryInfo arrives in grpc-status-details-bin.
    const delay = await retryDelayOf(() =>
      clients.tokens.exchangePersonalAccessToken({ personalAccessToken: valid.secret }),
    );
    expect(delay).toBeGreaterThan(0);
    expect(delay).toBeLessThanOrEqual(60);
    // Over Connect JSON on HTTP/1.1 (what curl sends): the same address, the same refusal and detail.
    const json = await connectJson(
      pair.ports.token.http,
      "/roster.token.v1.TokenService/ExchangePersonalAccessToken",
      { personalAccessToken: valid.secret },
      apiKey,
    );
    expect(json.status).toBe(429);
    const details = json.body.details as { type: string; value: string }[];
    const retryInfo = details.find((d) => d.type === "google.rpc.RetryInfo");
    expect(retryInfo).toBeDefined();
    const seconds = Number(
      fromBinary(RetryInfoSchema, Buffer.from(retryInfo?.value ?? "", "base64")).retryDelay?.seconds ?? -1n,
    );
    expect(seconds).toBeGreaterThanOrEqual(0);
    expect(seconds).toBeLessThanOrEqual(60);

    const other = clientFrom(TokenService, pair.ports.token.http, "127.0.0.2", apiKey);
    expect(await outcome(() => other.exchangePersonalAccessToken({ personalAccessToken: valid.secret }))).toBe("OK");
  });

  it("when one PAT is retried then that target is cut off after its limit, while another PAT from the same address is still served", async () => {
    const bad = await deletedPat();
    const valid = await newPat(clients, await userWithPermissions(clients, []));
    const from = clientFrom(TokenService, pair.ports.token.http, "127.0.0.3", apiKey);
    const results: string[] = [];
    for (let i = 0; i < perTarget + 2; i++)
      results.push(await outcome(() => from.exchangePersonalAccessToken({ personalAccessToken: bad })));
    expect(results).toEqual([
      ...Array<string>(perTarget).fill(`${Code.Unauthenticated}/TOKEN_INVALID`),
      ...Array<string>(2).fill(`${Code.ResourceExhausted}/RATE_LIMITED`),
    ]);
    // Over Connect's gRPC transport: the same RetryInfo.
    expect(await retryDelayOf(() => from.exchangePersonalAccessToken({ personalAccessToken: bad }))).toBeGreaterThan(0);
    expect(await outcome(() => from.exchangePersonalAccessToken({ personalAccessToken: valid.secret }))).toBe("OK");
  });
});

describe("IntrospectToken", () => {
  it("when a valid PAT is introspected more often than the limit then it stays active, while bad PATs from that address are cut off", async () => {
    const valid = await newPat(clients, await userWithPermissions(clients, []));
    const from = clientFrom(TokenService, pair.ports.token.http, "127.0.0.4", apiKey);
    for (let i = 0; i < perAddress * 3; i++) {
      expect((await from.introspectToken({ token: valid.secret })).active).toBe(true);
    }
    const results: string[] = [];
    for (let i = 0; i < perAddress + 2; i++) {
      results.push(await outcome(async () => (await from.introspectToken({ token: malformedPat() })).active));
    }
    expect(results).toEqual([
      ...Array<string>(perAddress).fill("OK"),
      ...Array<string>(2).fill(`${Code.ResourceExhausted}/RATE_LIMITED`),
    ]);
  });
});

describe("ConsumePasswordResetCode", () => {
  async function userWithResetCode(): Promise<{ userId: string; code: string }> {
    // A user without a password can still be sent a reset code (its first password, say).
    const { user } = await clients.users.createUser({ username: uniqueName("reset-") });
    const { code } = await clients.users.createPasswordResetCode({ userId: user?.id ?? "" });
    return { userId: user?.id ?? "", code };
  }

  it("when one address guesses reset codes then it is cut off with RESOURCE_EXHAUSTED and a RetryInfo, while the real code from another address still works", async () => {
    const { code } = await userWithResetCode();
    const results: string[] = [];
    for (let i = 0; i < perAddress + 2; i++) {
      const guess = randomBytes(32).toString("base64url");
      results.push(
        await outcome(() => clients.users.consumePasswordResetCode({ code: guess, newPassword: "second-Password-2" })),
      );
    }
    expect(results).toEqual([
      ...Array<string>(perAddress).fill(`${Code.Unauthenticated}/RESET_CODE_INVALID`),
      ...Array<string>(2).fill(`${Code.ResourceExhausted}/RATE_LIMITED`),
    ]);
    expect(
      await retryDelayOf(() => clients.users.consumePasswordResetCode({ code, newPassword: "second-Password-2" })),
    ).toBeGreaterThan(0);

    const other = clientFrom(UserService, pair.ports.user.http, "127.0.0.2", apiKey);
    expect(await outcome(() => other.consumePasswordResetCode({ code, newPassword: "second-Password-2" }))).toBe("OK");
  });

  it("when one wrong code is retried then that target is cut off after its limit", async () => {
    const from = clientFrom(UserService, pair.ports.user.http, "127.0.0.3", apiKey);
    const guess = randomBytes(32).toString("base64url");
    const results: string[] = [];
    for (let i = 0; i < perTarget + 1; i++) {
      results.push(
        await outcome(() => from.consumePasswordResetCode({ code: guess, newPassword: "second-Password-2" })),
      );
    }
    expect(results).toEqual([
      ...Array<string>(perTarget).fill(`${Code.Unauthenticated}/RESET_CODE_INVALID`),
      `${Code.ResourceExhausted}/RATE_LIMITED`,
    ]);
  });
});

describe("/metrics", () => {
  it("when bad API keys, bad access tokens, bad PATs and bad reset codes are presented then the failures are counted by credential and reason", async () => {
    const userBefore = await metricsOf(pair.ports.user.http);
    const tokenBefore = await metricsOf(pair.ports.token.http);
    const from = "127.0.0.5";
    const badKey = clientFrom(UserService, pair.ports.user.http, from, `rk_${randomBytes(16).toString("hex")}`);
    const badJwt = clientFrom(
      UserService,
      pair.ports.user.http,
      from,
      "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
    );
    const tokens = clientFrom(TokenService, pair.ports.token.http, from, apiKey);
    const users = clientFrom(UserService, pair.ports.user.http, from, apiKey);
    expect(await outcome(() => badKey.getUser({ userId: "u1" }))).toBe(`${Code.Unauthenticated}/INVALID_CREDENTIAL`);
    expect(await outcome(() => badKey.getUser({ userId: "u1" }))).toBe(`${Code.Unauthenticated}/INVALID_CREDENTIAL`);
    expect(await outcome(() => badJwt.getUser({ userId: "u1" }))).toBe(`${Code.Unauthenticated}/INVALID_CREDENTIAL`);
    expect(await outcome(() => tokens.exchangePersonalAccessToken({ personalAccessToken: malformedPat() }))).toBe(
      `${Code.Unauthenticated}/TOKEN_MALFORMED`,
    );
    expect(
      await outcome(async () => tokens.exchangePersonalAccessToken({ personalAccessToken: await deletedPat() })),
    ).toBe(`${Code.Unauthenticated}/TOKEN_INVALID`);
    expect((await tokens.introspectToken({ token: malformedPat() })).active).toBe(false);
    expect(
      await outcome(() => users.consumePasswordResetCode({ code: "not-a-code", newPassword: "second-Password-2" })),
    ).toBe(`${Code.Unauthenticated}/RESET_CODE_INVALID`);

    const userAfter = await metricsOf(pair.ports.user.http);
    const tokenAfter = await metricsOf(pair.ports.token.http);
    const delta = (before: string, after: string, labels: { credential: string; reason: string }) =>
      failureCount(after, labels) - failureCount(before, labels);
    expect(delta(userBefore, userAfter, { credential: "api_key", reason: "INVALID_CREDENTIAL" })).toBe(2);
    expect(delta(userBefore, userAfter, { credential: "access_token", reason: "INVALID_CREDENTIAL" })).toBe(1);
    expect(delta(userBefore, userAfter, { credential: "reset_code", reason: "RESET_CODE_INVALID" })).toBe(1);
    expect(delta(tokenBefore, tokenAfter, { credential: "pat", reason: "TOKEN_MALFORMED" })).toBe(2);
    expect(delta(tokenBefore, tokenAfter, { credential: "pat", reason: "TOKEN_INVALID" })).toBe(1);
    expect(userAfter).toMatch(/roster_auth_failures_total\{[^}]*service="user-service"/);
  });
});

describe("logs", () => {
  it("when 1,000 bad credentials flood a service then a bounded number of lines record them, with reason, method and address, and none holds a secret", async () => {
    const secrets = Array.from({ length: 1000 }, () => `rk_${randomBytes(16).toString("hex")}`);
    const linesBefore = pair.output("user-service").length;
    let next = 0;
    const flood = createUserServiceClient({
      transport: "grpc-js",
      address: `127.0.0.1:${pair.ports.user.grpc}`,
      credential: () => secrets[next++] ?? "",
    });
    try {
      for (let i = 0; i < secrets.length; i += 50) {
        const batch = await Promise.all(
          secrets.slice(i, i + 50).map(() => outcome(() => flood.getUser({ userId: "u1" }))),
        );
        expect(new Set(batch)).toEqual(new Set([`${Code.Unauthenticated}/INVALID_CREDENTIAL`]));
      }
    } finally {
      closeClient(flood);
    }
    const lines = pair.output("user-service").slice(linesBefore);
    const failureLines = lines.filter((l) => l.includes('"authentication failed"'));
    expect(failureLines.length).toBeGreaterThanOrEqual(1);
    // One window, or two if the flood straddles a minute.
    expect(failureLines.length).toBeLessThanOrEqual(2 * logLinesPerMinute);
    const first = JSON.parse(failureLines[0] ?? "{}") as Record<string, unknown>;
    expect(first).toMatchObject({
      reason: "INVALID_CREDENTIAL",
      credential: "api_key",
      method: "roster.user.v1.UserService/GetUser",
      address: "127.0.0.1",
    });
    for (const line of lines) {
      for (const secret of secrets) expect(line.includes(secret.slice(3))).toBe(false);
    }
  }, 120_000);
});
