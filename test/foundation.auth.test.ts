import { describe, expect, it } from "vitest";
import { connectJson } from "./helpers/connect-json.js";
import { bearer, codeOf, grpc, plainClient, unary } from "./helpers/plain-grpc.js";
import { stackInfo } from "./helpers/stack-info.js";

const stack = stackInfo();
const userServiceProto = ["roster/user/v1/user_service.proto", "roster.user.v1.UserService"] as const;
const tokenServiceProto = ["roster/token/v1/token_service.proto", "roster.token.v1.TokenService"] as const;
const users = plainClient(...userServiceProto, stack.user.grpc);

const cases = [
  {
    name: "user-service GetUser",
    proto: userServiceProto,
    ports: stack.user,
    method: "getUser",
    path: "/roster.user.v1.UserService/GetUser",
  },
  {
    name: "token-service ListPersonalAccessTokens",
    proto: tokenServiceProto,
    ports: stack.token,
    method: "listPersonalAccessTokens",
    path: "/roster.token.v1.TokenService/ListPersonalAccessTokens",
  },
];

describe.each(cases)("management auth on $name", ({ proto, ports, method, path }) => {
  const client = plainClient(proto[0], proto[1], ports.grpc);
  const http = ports.http;

  it("when called over native gRPC without a credential then it is UNAUTHENTICATED", async () => {
    expect(await codeOf(() => unary(client, method, {}))).toBe(grpc.status.UNAUTHENTICATED);
  });

  it("when called over native gRPC with a wrong key then it is UNAUTHENTICATED", async () => {
    expect(await codeOf(() => unary(client, method, {}, bearer("roster_key_not-a-real-key-at-all")))).toBe(
      grpc.status.UNAUTHENTICATED,
    );
  });

  it("when called over native gRPC with a good key then it is not UNAUTHENTICATED", async () => {
    const code = await codeOf(() => unary(client, method, {}, bearer(stack.apiKey)));
    expect(code).not.toBe(grpc.status.UNAUTHENTICATED);
    expect(code).not.toBe(grpc.status.PERMISSION_DENIED);
  });

  it("when called with gRPC on the HTTP port then the credential is checked the same way", async () => {
    const overHttp = plainClient(proto[0], proto[1], http);
    expect(await codeOf(() => unary(overHttp, method, {}))).toBe(grpc.status.UNAUTHENTICATED);
    expect(await codeOf(() => unary(overHttp, method, {}, bearer("roster_key_not-a-real-key-at-all")))).toBe(
      grpc.status.UNAUTHENTICATED,
    );
    expect(await codeOf(() => unary(overHttp, method, {}, bearer(stack.apiKey)))).not.toBe(grpc.status.UNAUTHENTICATED);
    overHttp.close();
  });

  it("when called with Connect JSON then the credential is checked the same way", async () => {
    expect((await connectJson(http, path, {})).body.code).toBe("unauthenticated");
    expect((await connectJson(http, path, {}, "roster_key_not-a-real-key-at-all")).body.code).toBe("unauthenticated");
    expect((await connectJson(http, path, {}, stack.apiKey)).body.code).not.toBe("unauthenticated");
  });

  it("when refused then the status carries an ErrorInfo reason", async () => {
    const reply = await connectJson(http, path, {});
    const details = reply.body.details as { type: string; debug?: { reason?: string } }[];
    expect(details.map((d) => d.type)).toContain("google.rpc.ErrorInfo");
  });
});

describe("service-only methods", () => {
  it("when a management key calls AppendUserLog then it is PERMISSION_DENIED", async () => {
    expect(await codeOf(() => unary(users, "appendUserLog", {}, bearer(stack.apiKey)))).toBe(
      grpc.status.PERMISSION_DENIED,
    );
  });

  it("when a service key calls AppendUserLog then it passes the auth check", async () => {
    const code = await codeOf(() => unary(users, "appendUserLog", {}, bearer(stack.serviceKey)));
    expect([grpc.status.UNAUTHENTICATED, grpc.status.PERMISSION_DENIED]).not.toContain(code);
  });
});
