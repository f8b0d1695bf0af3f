import { create } from "@bufbuild/protobuf";
import { createContextValues, type HandlerContext } from "@connectrpc/connect";
import { selfScopes, TokenService } from "@roster/client";
import { callerKey, type Caller } from "@roster/runtime";
import { isDomainError } from "@roster/runtime/domain-error";
import { describe, expect, it } from "vitest";
import type { KeyRing } from "../crypto/signing-keys.js";
import type { PatManagement } from "../domain/pats.js";
import type { ExchangeAndIntrospection } from "../domain/exchange-and-introspection.js";
import { createTokenServiceImpl } from "./token-service.js";

/** Dependencies that fail the test if a handler reaches them. */
const untouchable = new Proxy(
  {},
  {
    get: (_target, name) => () => {
      throw new Error(`reached ${String(name)}`);
    },
  },
);

const impl = createTokenServiceImpl({
  pats: untouchable as PatManagement,
  exchangeAndIntrospection: untouchable as ExchangeAndIntrospection,
  keyRing: untouchable as KeyRing,
}) as unknown as Record<string, (req: unknown, ctx: HandlerContext) => Promise<unknown>>;

const ownUserOnly: Caller = {
  kind: "access-token",
  id: "user:me",
  subject: "me",
  scopes: new Set(["roster:tokens:self"]),
  ownUserOnly: "me",
};

describe("TokenService self-service methods", () => {
  const selfMethods = TokenService.methods.filter(
    (m) => selfScopes[`/${TokenService.typeName}/${m.name}`] !== undefined,
  );

  it("when the contract lists self-service methods then there are some to check", () => {
    expect(selfMethods.map((m) => m.localName).sort()).toEqual([
      "createPersonalAccessToken",
      "deletePersonalAccessToken",
      "listPersonalAccessTokens",
      "updatePersonalAccessToken",
    ]);
  });

  for (const method of selfMethods) {
    it(`when ${method.name} is admitted for its own user and names another then it is NOT_OWN_RESOURCE before any work`, async () => {
      const request = create(method.input, { userId: "other", personalAccessToken: { userId: "other" } } as never);
      const ctx = { values: createContextValues().set(callerKey, ownUserOnly) } as HandlerContext;
      const call = impl[method.localName];
      if (call === undefined) throw new Error(`no handler for ${method.name}`);
      const failure = await call(request, ctx).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(isDomainError(failure) && failure.reason).toBe("NOT_OWN_RESOURCE");
    });
  }
});
