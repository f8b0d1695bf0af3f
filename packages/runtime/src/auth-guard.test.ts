import type { DescMethod } from "@bufbuild/protobuf";
import { createContextValues, ConnectError, Code } from "@connectrpc/connect";
import { Health, UserService } from "@roster/client";
import { describe, expect, it } from "vitest";
import { parseApiKeys } from "./api-keys.js";
import type { AuthFailure } from "./auth-failures.js";
import { createAuthGuard } from "./auth-guard.js";
import { callerKey, requireOwnUser, type Caller } from "./caller.js";
import { clientAddressKey } from "./client-address.js";
import { isDomainError } from "./domain-error.js";

const apiKey = "management-key-0123456789";
const serviceKey = "service-key-0123456789";
const getUser = UserService.method.getUser;
const appendUserLog = UserService.method.appendUserLog;
const deleteUser = UserService.method.deleteUser;

function guardWith(verifyAccessToken?: (token: string) => Promise<Caller | undefined>) {
  return createAuthGuard({
    apiKeys: parseApiKeys(apiKey),
    serviceKeys: parseApiKeys(serviceKey),
    managementScopes: ["roster:users:read"],
    serviceScopes: ["roster:logs:write"],
    requiredScopes: {
      "/roster.user.v1.UserService/GetUser": "roster:users:read",
      "/roster.user.v1.UserService/AppendUserLog": "roster:logs:write",
      "/roster.user.v1.UserService/CreateUser": null,
      "/roster.user.v1.UserService/DeleteUser": "roster:users:write",
    },
    selfScopes: { "/roster.user.v1.UserService/DeleteUser": "roster:users:self" },
    verifyAccessToken,
  });
}

async function outcome(guard: ReturnType<typeof guardWith>, method: DescMethod = getUser, authorization?: string) {
  const contextValues = createContextValues();
  const requestHeader = new Headers(authorization === undefined ? {} : { authorization });
  try {
    await guard({ service: method.parent, method, requestHeader, contextValues });
    return { code: "ok" as const, caller: contextValues.get(callerKey) };
  } catch (err) {
    if (!(err instanceof ConnectError)) throw err;
    return { code: Code[err.code], caller: undefined };
  }
}

describe("auth guard", () => {
  it("when a key that was accepted is gone from the configuration the guard is rebuilt from (a restart) then it is UNAUTHENTICATED", async () => {
    expect((await outcome(guardWith(), getUser, `Bearer ${apiKey}`)).code).toBe("ok");
    const restarted = createAuthGuard({
      apiKeys: parseApiKeys("replacement-key-0123456789"),
      serviceKeys: [],
      managementScopes: ["roster:users:read"],
      serviceScopes: [],
      requiredScopes: { "/roster.user.v1.UserService/GetUser": "roster:users:read" },
    });
    expect((await outcome(restarted, getUser, `Bearer ${apiKey}`)).code).toBe("Unauthenticated");
    expect((await outcome(restarted, getUser, "Bearer replacement-key-0123456789")).code).toBe("ok");
  });

  it("when an accepted key is presented again then the same caller is recorded, and a near miss is still refused", async () => {
    const guard = guardWith();
    const first = await outcome(guard, getUser, `Bearer ${apiKey}`);
    const again = await outcome(guard, getUser, `Bearer ${apiKey}`);
    expect(again).toEqual(first);
    expect(again.caller?.id).toMatch(/^key:/);
    expect((await outcome(guard, getUser, `Bearer ${apiKey.slice(0, -1)}`)).code).toBe("Unauthenticated");
  });

  it("when no credential is sent then the call is UNAUTHENTICATED", async () => {
    expect((await outcome(guardWith())).code).toBe("Unauthenticated");
  });

  it("when a wrong key is sent then the call is UNAUTHENTICATED", async () => {
    expect((await outcome(guardWith(), getUser, "Bearer not-the-key-at-all-123")).code).toBe("Unauthenticated");
  });

  it("when the scheme is not Bearer then the call is UNAUTHENTICATED", async () => {
    expect((await outcome(guardWith(), getUser, `Basic ${apiKey}`)).code).toBe("Unauthenticated");
  });

  it("when a management key calls a management method then the caller is recorded", async () => {
    const result = await outcome(guardWith(), getUser, `bearer ${apiKey}`);
    expect(result.code).toBe("ok");
    expect(result.caller?.kind).toBe("api-key");
  });

  it("when a management key calls a service-only method then it is PERMISSION_DENIED", async () => {
    expect((await outcome(guardWith(), appendUserLog, `Bearer ${apiKey}`)).code).toBe("PermissionDenied");
  });

  it("when a service key calls a service-only method then it is allowed", async () => {
    const result = await outcome(guardWith(), appendUserLog, `Bearer ${serviceKey}`);
    expect(result.caller?.kind).toBe("service-key");
  });

  it("when a method needs no credential then none is asked for", async () => {
    expect((await outcome(guardWith(), UserService.method.createUser)).code).toBe("ok");
  });

  it("when a method is missing from the scope table then a credential is still required", async () => {
    expect((await outcome(guardWith(), UserService.method.updateUser)).code).toBe("Unauthenticated");
    expect((await outcome(guardWith(), UserService.method.updateUser, `Bearer ${apiKey}`)).code).toBe("ok");
  });

  it("when health is called then no credential is needed", async () => {
    expect((await outcome(guardWith(), Health.method.check)).code).toBe("ok");
  });

  it("when an access token verifies with the scope then it is allowed, and without it PERMISSION_DENIED", async () => {
    const verify = async (token: string): Promise<Caller | undefined> =>
      token === "a.b.c"
        ? { kind: "access-token", id: "user:1", subject: "1", scopes: new Set(["roster:users:read"]) }
        : undefined;
    expect((await outcome(guardWith(verify), getUser, "Bearer a.b.c")).caller?.subject).toBe("1");
    expect((await outcome(guardWith(verify), appendUserLog, "Bearer a.b.c")).code).toBe("PermissionDenied");
    expect((await outcome(guardWith(verify), getUser, "Bearer x.y.z")).code).toBe("Unauthenticated");
  });

  it("when an access token carries a service-only scope then it is still PERMISSION_DENIED for the service-only method", async () => {
    const verify = async (): Promise<Caller | undefined> => ({
      kind: "access-token",
      id: "user:1",
      subject: "1",
      scopes: new Set(["roster:logs:write"]),
    });
    expect((await outcome(guardWith(verify), appendUserLog, "Bearer a.b.c")).code).toBe("PermissionDenied");
  });

  it("when an access token holds only the method's self-service scope then it is admitted for its own subject only", async () => {
    const verify = async (): Promise<Caller | undefined> => ({
      kind: "access-token",
      id: "user:7",
      subject: "7",
      scopes: new Set(["roster:users:self"]),
    });
    const result = await outcome(guardWith(verify), deleteUser, "Bearer a.b.c");
    expect(result.code).toBe("ok");
    expect(result.caller?.ownUserOnly).toBe("7");
    expect((await outcome(guardWith(verify), getUser, "Bearer a.b.c")).code).toBe("PermissionDenied");
  });

  it("when an access token holds the administrator scope as well then it is admitted for any user", async () => {
    const scopes = new Set(["roster:users:write", "roster:users:self"]);
    const verify = async (): Promise<Caller | undefined> => ({
      kind: "access-token",
      id: "user:7",
      subject: "7",
      scopes,
    });
    const result = await outcome(guardWith(verify), deleteUser, "Bearer a.b.c");
    expect(result.code).toBe("ok");
    expect(result.caller?.ownUserOnly).toBeUndefined();
  });

  it("when a credential without a subject holds only a self-service scope then it is PERMISSION_DENIED", async () => {
    const verify = async (): Promise<Caller | undefined> => ({
      kind: "access-token",
      id: "user:?",
      scopes: new Set(["roster:users:self"]),
    });
    expect((await outcome(guardWith(verify), deleteUser, "Bearer a.b.c")).code).toBe("PermissionDenied");
  });
});

describe("requireOwnUser", () => {
  const ctxOf = (caller: Caller | undefined) => {
    const values = createContextValues().set(callerKey, caller);
    return { values } as Parameters<typeof requireOwnUser>[0];
  };
  const self: Caller = { kind: "access-token", id: "user:7", subject: "7", scopes: new Set(), ownUserOnly: "7" };

  it("when a call admitted for its own user names another user then it is PERMISSION_DENIED NOT_OWN_RESOURCE naming the field", () => {
    try {
      requireOwnUser(ctxOf(self), "8", "user_id");
      expect.unreachable();
    } catch (err) {
      expect(isDomainError(err) && { kind: err.kind, reason: err.reason, metadata: err.metadata }).toEqual({
        kind: "permission-denied",
        reason: "NOT_OWN_RESOURCE",
        metadata: { field: "user_id" },
      });
    }
  });

  it("when it names its own user, or the caller is not limited, then it passes", () => {
    expect(() => requireOwnUser(ctxOf(self), "7", "user_id")).not.toThrow();
    expect(() => requireOwnUser(ctxOf({ ...self, ownUserOnly: undefined }), "8", "user_id")).not.toThrow();
    expect(() => requireOwnUser(ctxOf(undefined), "8", "user_id")).not.toThrow();
  });
});

describe("failure reports", () => {
  it("when a credential is missing, a bad API key or a bad access token then each is reported with its kind, reason, method and address", async () => {
    const reports: AuthFailure[] = [];
    const guard = createAuthGuard({
      apiKeys: parseApiKeys(apiKey),
      serviceKeys: [],
      managementScopes: ["roster:users:read"],
      serviceScopes: [],
      requiredScopes: { "/roster.user.v1.UserService/GetUser": "roster:users:read" },
      verifyAccessToken: () => Promise.resolve(undefined),
      failures: { record: (failure) => reports.push(failure) },
    });
    const call = (authorization?: string) => {
      const contextValues = createContextValues().set(clientAddressKey, "10.0.0.7");
      const requestHeader = new Headers(authorization === undefined ? {} : { authorization });
      return Promise.resolve()
        .then(() => guard({ service: UserService, method: getUser, requestHeader, contextValues }))
        .catch(() => undefined);
    };
    await call();
    await call("Bearer not-the-key");
    await call("Bearer aaa.bbb.ccc");
    await call(`Bearer ${apiKey}`);
    expect(reports.map((r) => `${r.credential}/${r.reason}`)).toEqual([
      "none/MISSING_CREDENTIAL",
      "api_key/INVALID_CREDENTIAL",
      "access_token/INVALID_CREDENTIAL",
    ]);
    expect(reports[0]?.origin).toEqual({ address: "10.0.0.7", method: "roster.user.v1.UserService/GetUser" });
    expect(JSON.stringify(reports)).not.toContain("not-the-key");
  });
});
