// How user-service serves the console: content types, the security headers,
// the path and off switch, and what its token-service forwarding lets through.
import { Code } from "@connectrpc/connect";
import { closeClient, createTokenServiceClient } from "@roster/client";
import type { ServiceProcess } from "@roster/dev-stack";
import { afterAll, describe, expect, it } from "vitest";
import { startExtraUserService } from "./helpers/extra-services.js";
import { stackInfo } from "./helpers/stack-info.js";
import { refusalOf, rosterClients, uniqueName } from "./helpers/tokens.js";

const stack = stackInfo();
const base = `http://127.0.0.1:${stack.user.http}`;

/** A token-service client whose calls go through the console's forwarding path. */
function forwardedTokens(credential?: string, httpPort = stack.user.http) {
  return createTokenServiceClient({
    transport: "connect",
    baseUrl: `http://127.0.0.1:${httpPort}/console/token`,
    credential: credential ?? "",
  });
}

describe("serving the console", () => {
  const extra: ServiceProcess[] = [];
  afterAll(async () => {
    await Promise.all(extra.map((p) => p.stop()));
  });

  it("when the page and its script are fetched then each has its content type and a strict Content-Security-Policy", async () => {
    const page = await fetch(`${base}/console/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp.split("; ")).toEqual(
      expect.arrayContaining([
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
      ]),
    );
    expect(csp).not.toContain("unsafe");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await page.text();
    // Nothing inline, nothing from another origin.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1] ?? "";
    const asset = await fetch(`${base}/console/${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(asset.headers.get("cache-control")).toContain("immutable");
    expect((await fetch(`${base}/console/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${base}/console/../package.json`)).status).toBe(404);
  });

  it("when the path lacks its trailing slash then it redirects to the console", async () => {
    const response = await fetch(`${base}/console`, { redirect: "manual" });
    expect(response.status).toBe(308);
    expect(response.headers.get("location")).toBe("/console/");
  });

  it("when ROSTER_CONSOLE is off or the path is moved then only the configured path serves it", async () => {
    const off = await startExtraUserService(stack, { ROSTER_CONSOLE: "off" });
    const moved = await startExtraUserService(stack, { ROSTER_CONSOLE_PATH: "/support/" });
    extra.push(off, moved);
    expect((await fetch(`http://127.0.0.1:${off.httpPort}/console/`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${moved.httpPort}/console/`)).status).toBe(404);
    const page = await fetch(`http://127.0.0.1:${moved.httpPort}/support/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
  });

  it("when token calls come through the console path then personal access token management works with the caller's credential", async () => {
    const clients = rosterClients(stack, stack.apiKey);
    const tokens = forwardedTokens(stack.apiKey);
    try {
      const { user } = await clients.users.createUser({ username: uniqueName("console_fw_") });
      const created = await tokens.createPersonalAccessToken({ userId: user?.id ?? "", name: "ci" });
      expect(created.secret).not.toBe("");
      const listed = await tokens.listPersonalAccessTokens({ userId: user?.id ?? "" });
      expect(listed.personalAccessTokens.map((t) => t.name)).toEqual(["ci"]);
    } finally {
      clients.close();
      closeClient(tokens);
    }
  });

  it("when token calls through the console path carry no valid credential then they are refused before token-service", async () => {
    // token-service is unreachable from this one: a refusal can only come from user-service's own guard.
    const cut = await startExtraUserService(stack, { ROSTER_CONSOLE_TOKEN_SERVICE_URL: "http://127.0.0.1:1" });
    extra.push(cut);
    const none = forwardedTokens(undefined, cut.httpPort);
    const wrong = forwardedTokens("not-a-real-key-0123456789", cut.httpPort);
    try {
      expect(await refusalOf(() => none.listPersonalAccessTokens({ userId: "u1" }))).toMatchObject({
        code: Code.Unauthenticated,
        reason: "MISSING_CREDENTIAL",
      });
      expect(await refusalOf(() => wrong.listPersonalAccessTokens({ userId: "u1" }))).toMatchObject({
        code: Code.Unauthenticated,
        reason: "INVALID_CREDENTIAL",
      });
      const valid = forwardedTokens(stack.apiKey, cut.httpPort);
      expect((await refusalOf(() => valid.listPersonalAccessTokens({ userId: "u1" }))).code).toBe(Code.Unavailable);
      closeClient(valid);
    } finally {
      closeClient(none);
      closeClient(wrong);
    }
  });

  it("when any other token-service method is called through the console path then it is not forwarded", async () => {
    const tokens = forwardedTokens(stack.apiKey);
    try {
      // Exchange needs no credential on token-service itself, and rotation is an administrator power: neither is the console's.
      expect(
        (await refusalOf(() => tokens.exchangePersonalAccessToken({ personalAccessToken: "roster_pat_x" }))).code,
      ).toBe(Code.Unimplemented);
      expect((await refusalOf(() => tokens.rotateSigningKeys({}))).code).toBe(Code.Unimplemented);
      expect((await refusalOf(() => tokens.introspectToken({ token: "x" }))).code).toBe(Code.Unimplemented);
      expect((await refusalOf(() => tokens.deleteUserPersonalAccessTokens({ userId: "u1" }))).code).toBe(
        Code.Unimplemented,
      );
    } finally {
      closeClient(tokens);
    }
  });
});
