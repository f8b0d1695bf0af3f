import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import type { CallGuard } from "@roster/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConsoleHandler } from "./console-handler.js";

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("the console handler", () => {
  const webDir = mkdtempSync(join(tmpdir(), "console-web-"));
  mkdirSync(join(webDir, "assets"));
  writeFileSync(join(webDir, "index.html"), "<!doctype html><title>t</title>");
  writeFileSync(join(webDir, "assets", "app-1.js"), "export {};");
  writeFileSync(join(webDir, "notes.unknown"), "not for serving");

  // A stand-in token-service that records what reaches it.
  const received: { url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const tokenService = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      received.push({ url: req.url ?? "", headers: req.headers, body });
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"personalAccessTokens":[]}');
    });
  });
  const guard: CallGuard = ({ method, requestHeader }) => {
    if (requestHeader.get("authorization") === null)
      throw new ConnectError(`no credential for ${method.name}`, Code.Unauthenticated);
  };
  let base = "";
  let server: Server;

  beforeAll(async () => {
    const tokenServiceHttpUrl = await listen(tokenService);
    const handler = createConsoleHandler({
      path: "/console/",
      tokenServiceHttpUrl,
      guard,
      maxMessageBytes: 1024,
      webDir,
    });
    server = createServer((req, res) => void handler(req, res));
    base = await listen(server);
  });

  afterAll(() => {
    server.close();
    tokenService.close();
  });

  const call = (method: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${base}/console/token/roster.token.v1.TokenService/${method}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });

  it("when the page, an asset or a file of unknown type is asked for then only the known types are served, each with its own", async () => {
    const page = await fetch(`${base}/console/`);
    expect([page.status, page.headers.get("content-type"), page.headers.get("cache-control")]).toEqual([
      200,
      "text/html; charset=utf-8",
      "no-cache",
    ]);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    const asset = await fetch(`${base}/console/assets/app-1.js`);
    expect([asset.status, asset.headers.get("content-type")]).toEqual([200, "text/javascript; charset=utf-8"]);
    expect((await fetch(`${base}/console/notes.unknown`)).status).toBe(404);
    expect((await fetch(`${base}/other/`)).status).toBe(404);
    expect((await fetch(`${base}/console/`, { method: "POST", body: "x" })).status).toBe(404);
  });

  it("when the browser already holds the file then it gets 304 without a body", async () => {
    const etag = (await fetch(`${base}/console/assets/app-1.js`)).headers.get("etag") ?? "";
    const again = await fetch(`${base}/console/assets/app-1.js`, { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
  });

  it("when a token call carries a credential then only the call's own headers and body are forwarded", async () => {
    received.length = 0;
    const response = await call("ListPersonalAccessTokens", '{"userId":"u1"}', {
      authorization: "Bearer k",
      cookie: "session=secret",
      "x-forwarded-for": "10.0.0.1",
    });
    expect(response.status).toBe(200);
    expect(received).toHaveLength(1);
    expect(received[0]?.url).toBe("/roster.token.v1.TokenService/ListPersonalAccessTokens");
    expect(received[0]?.body).toBe('{"userId":"u1"}');
    expect(received[0]?.headers.authorization).toBe("Bearer k");
    expect(received[0]?.headers.cookie).toBeUndefined();
    expect(received[0]?.headers["x-forwarded-for"]).toBeUndefined();
  });

  it("when the guard refuses, the method is not a token-management one, or the body is too large then nothing is forwarded", async () => {
    received.length = 0;
    const refused = await call("ListPersonalAccessTokens", "{}");
    expect([refused.status, ((await refused.json()) as { code: string }).code]).toEqual([401, "unauthenticated"]);
    const other = await call("ExchangePersonalAccessToken", "{}", { authorization: "Bearer k" });
    expect(((await other.json()) as { code: string }).code).toBe("unimplemented");
    const elsewhere = await fetch(`${base}/console/token/roster.user.v1.UserService/GetUser`, {
      method: "POST",
      headers: { authorization: "Bearer k" },
      body: "{}",
    });
    expect(((await elsewhere.json()) as { code: string }).code).toBe("unimplemented");
    const large = await call("CreatePersonalAccessToken", JSON.stringify({ name: "x".repeat(2048) }), {
      authorization: "Bearer k",
    });
    expect(((await large.json()) as { code: string }).code).toBe("resource_exhausted");
    expect(received).toHaveLength(0);
  });
});
