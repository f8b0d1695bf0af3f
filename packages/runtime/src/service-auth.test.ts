import type { DescMethod } from "@bufbuild/protobuf";
import { createContextValues, ConnectError, Code } from "@connectrpc/connect";
import { ErrorInfoSchema, TokenService, UserService } from "@roster/client";
import { generateKeyPair, SignJWT, type CryptoKey } from "jose";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { SubjectState } from "./access-token-subject.js";
import { parseApiKeys } from "./api-keys.js";
import { callerKey, recheckKey } from "./caller.js";
import type { CommonConfig } from "./common-config.js";
import { DomainError } from "./domain-error.js";
import { createServiceAuthGuard } from "./service-auth.js";

const apiKey = "management-key-0123456789";
const config = {
  apiKeys: parseApiKeys(apiKey),
  serviceKeys: [],
  tokenIssuer: "roster",
  tokenAudience: "roster",
} as unknown as CommonConfig;
const getUser = UserService.method.getUser;
const listPats = TokenService.method.listPersonalAccessTokens;
let privateKey: CryptoKey;
let publicKey: CryptoKey;

beforeAll(async () => {
  ({ privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" }));
});

function accessToken(claims: { scope: string; token_epoch?: number }) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "EdDSA", kid: "k", typ: "at+jwt" })
    .setIssuer("roster")
    .setAudience("roster")
    .setSubject("u1")
    .setIssuedAt(now)
    .setJti("j")
    .setExpirationTime(now + 60)
    .sign(privateKey);
}

/** The guard's verdict on one call: "OK" with the caller's scopes, or `CODE/REASON`. */
async function call(
  resolve: (subject: string) => Promise<SubjectState | undefined>,
  credential: string,
  method: DescMethod = getUser,
) {
  const guard = createServiceAuthGuard(config, { keys: async () => publicKey }, resolve);
  const contextValues = createContextValues();
  try {
    await guard({
      service: method.parent,
      method,
      requestHeader: new Headers({ authorization: `Bearer ${credential}` }),
      contextValues,
    });
    return `OK ${[...(contextValues.get(callerKey)?.scopes ?? [])].join(" ")}`;
  } catch (err) {
    if (!(err instanceof ConnectError)) throw err;
    return `${Code[err.code]}/${err.findDetails(ErrorInfoSchema)[0]?.reason ?? ""}`;
  }
}

const state = (overrides: Partial<SubjectState> = {}): SubjectState => ({
  suspended: false,
  permissions: ["roster:users:read", "roster:tokens:read"],
  tokenEpoch: 0,
  ...overrides,
});

describe("service auth guard: access tokens meet their subject's current state", () => {
  it("when the subject holds the token's scopes then the caller gets the token's scopes ∩ its permissions", async () => {
    const token = await accessToken({ scope: "roster:users:read roster:roles:read" });
    expect(await call(async () => state(), token)).toBe("OK roster:users:read");
  });

  it("when the subject has lost the method's permission then the call is PERMISSION_DENIED", async () => {
    const token = await accessToken({ scope: "roster:users:read roster:tokens:read" });
    expect(await call(async () => state({ permissions: ["roster:tokens:read"] }), token)).toBe(
      "PermissionDenied/INSUFFICIENT_SCOPE",
    );
    expect(await call(async () => state({ permissions: ["roster:tokens:read"] }), token, listPats)).toBe(
      "OK roster:tokens:read",
    );
  });

  it("when the subject is deleted, suspended or suspended since minting then the call is UNAUTHENTICATED with that reason", async () => {
    const token = await accessToken({ scope: "roster:users:read", token_epoch: 2 });
    expect(await call(async () => undefined, token)).toBe("Unauthenticated/USER_DELETED");
    expect(await call(async () => state({ suspended: true, tokenEpoch: 2 }), token)).toBe(
      "Unauthenticated/USER_SUSPENDED",
    );
    expect(await call(async () => state({ tokenEpoch: 3 }), token)).toBe("Unauthenticated/TOKEN_REVOKED");
    expect(await call(async () => state({ tokenEpoch: 2 }), token)).toBe("OK roster:users:read");
  });

  it("when the subject's state cannot be read then the call is UNAVAILABLE, never granted", async () => {
    const token = await accessToken({ scope: "roster:users:read" });
    const down = async (): Promise<SubjectState> => {
      throw new DomainError("unavailable", { reason: "USER_SERVICE_UNAVAILABLE", message: "down" });
    };
    expect(await call(down, token)).toBe("Unavailable/USER_SERVICE_UNAVAILABLE");
    await expect(call(async () => Promise.reject(new Error("boom")), token)).rejects.toThrow("boom");
  });

  it("when an API key calls then no subject is resolved", async () => {
    let resolved = 0;
    const counting = async () => {
      resolved += 1;
      return state();
    };
    expect(await call(counting, apiKey)).toMatch(/^OK /);
    expect(resolved).toBe(0);
  });

  it("when the token does not verify then no subject is resolved and the call is UNAUTHENTICATED", async () => {
    let resolved = 0;
    const token = await accessToken({ scope: "roster:users:read" });
    const counting = async () => {
      resolved += 1;
      return state();
    };
    expect(await call(counting, `${token.slice(0, -4)}AAAA`)).toBe("Unauthenticated/INVALID_CREDENTIAL");
    expect(resolved).toBe(0);
  });
});

describe("service auth guard: re-checking a caller whose stream is open", () => {
  afterEach(() => vi.useRealTimers());

  /** Lets the guard admit a call, then returns its re-check, reporting "OK" or `CODE/REASON`. */
  async function admitted(resolve: (subject: string) => Promise<SubjectState | undefined>, token: string) {
    const guard = createServiceAuthGuard(config, { keys: async () => publicKey }, resolve);
    const contextValues = createContextValues();
    await guard({
      service: getUser.parent,
      method: getUser,
      requestHeader: new Headers({ authorization: `Bearer ${token}` }),
      contextValues,
    });
    const recheck = contextValues.get(recheckKey);
    if (recheck === undefined) throw new Error("no re-check for an access token");
    return () =>
      recheck().then(
        () => "OK",
        (err: unknown) =>
          `${Code[(err as ConnectError).code]}/${(err as ConnectError).findDetails(ErrorInfoSchema)[0]?.reason ?? ""}`,
      );
  }

  it("when the user is suspended, loses the scope or the token expires after the call was admitted then the re-check refuses it", async () => {
    let current: SubjectState | undefined = state();
    const recheck = await admitted(async () => current, await accessToken({ scope: "roster:users:read" }));
    expect(await recheck()).toBe("OK");
    current = state({ permissions: ["roster:tokens:read"] });
    expect(await recheck()).toBe("PermissionDenied/INSUFFICIENT_SCOPE");
    current = state({ suspended: true });
    expect(await recheck()).toBe("Unauthenticated/USER_SUSPENDED");
    current = undefined;
    expect(await recheck()).toBe("Unauthenticated/USER_DELETED");
    current = state();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 120_000);
    expect(await recheck()).toBe("Unauthenticated/INVALID_CREDENTIAL");
  });

  it("when an API key is admitted then there is nothing to re-check", async () => {
    const guard = createServiceAuthGuard(config, { keys: async () => publicKey }, async () => state());
    const contextValues = createContextValues();
    await guard({
      service: getUser.parent,
      method: getUser,
      requestHeader: new Headers({ authorization: `Bearer ${apiKey}` }),
      contextValues,
    });
    expect(contextValues.get(recheckKey)).toBeUndefined();
  });
});
