// Browsers calling the HTTP port: a real Chromium loads a page from another
// localhost port, whose script calls GetUser with connect-web's Connect and
// gRPC-Web transports, and token-service's GetJwks. Only a page from an origin
// in ROSTER_CORS_ORIGINS may read the answers.
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import type { ServiceProcess } from "@roster/dev-stack";
import { build } from "esbuild";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startExtraTokenService, startExtraUserService, type ExtraTokenService } from "./helpers/extra-services.js";
import { stackInfo } from "./helpers/stack-info.js";
import { callUsers, unique } from "./helpers/users.js";

const chromiumPath = "/usr/bin/chromium";
const stack = stackInfo();

/** What the page script does, bundled by esbuild as a browser would load it. */
const pageScript = `
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { TokenService, UserService } from "@roster/client/contract";

const params = new URLSearchParams(location.search);
const baseUrl = params.get("api");
const bearer = (next) => async (req) => {
  req.header.set("authorization", "Bearer " + params.get("key"));
  return next(req);
};

async function getUser(transport) {
  try {
    const { user } = await createClient(UserService, transport).getUser({ userId: params.get("id") });
    return { ok: true, username: user.username };
  } catch (err) {
    return { ok: false, code: err.code, message: err.message };
  }
}

async function getJwks(transport) {
  try {
    const { keys } = await createClient(TokenService, transport).getJwks({});
    return { ok: true, keys: keys.length };
  } catch (err) {
    return { ok: false, code: err.code, message: err.message };
  }
}

window.results = Promise.all([
  getUser(createConnectTransport({ baseUrl, interceptors: [bearer] })),
  getUser(createGrpcWebTransport({ baseUrl, interceptors: [bearer] })),
  getJwks(createConnectTransport({ baseUrl: params.get("tokens"), interceptors: [bearer] })),
]);
`;

interface CallResult {
  ok: boolean;
  username?: string;
  keys?: number;
  code?: number;
  message?: string;
}

let browser: Browser;
let service: ServiceProcess;
let tokenService: ExtraTokenService;
let allowedPages: Server;
let otherPages: Server;
let userId: string;
let username: string;

function pageServer(bundle: string): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === "/page.js") {
      res.writeHead(200, { "content-type": "text/javascript" });
      res.end(bundle);
      return;
    }
    res.writeHead(200, { "content-type": "text/html" });
    res.end('<!doctype html><script type="module" src="/page.js"></script>');
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const origin = (server: Server) => `http://localhost:${(server.address() as AddressInfo).port}`;

async function visit(pages: Server): Promise<{ results: CallResult[]; console: string[] }> {
  const page = await browser.newPage();
  const console: string[] = [];
  page.on("console", (message) => console.push(message.text()));
  try {
    const query = new URLSearchParams({
      api: `http://127.0.0.1:${service.httpPort}`,
      tokens: `http://127.0.0.1:${tokenService.ports.token.http}`,
      key: stack.apiKey,
      id: userId,
    });
    await page.goto(`${origin(pages)}/?${query.toString()}`);
    // These functions run in the page, whose global object is the window the script wrote to.
    await page.waitForFunction(() => "results" in globalThis);
    const results = await page.evaluate(() => (globalThis as unknown as { results: Promise<CallResult[]> }).results);
    return { results, console };
  } finally {
    await page.close();
  }
}

beforeAll(async () => {
  // A machine without the browser must fail this test, not skip it.
  if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: install Debian's chromium (apt-get install -y chromium)`);
  const bundled = await build({
    stdin: { contents: pageScript, resolveDir: fileURLToPath(new URL(".", import.meta.url)), loader: "js" },
    bundle: true,
    format: "esm",
    platform: "browser",
    write: false,
  });
  const bundle = bundled.outputFiles[0]?.text ?? "";
  allowedPages = await pageServer(bundle);
  otherPages = await pageServer(bundle);
  const cors = { ROSTER_CORS_ORIGINS: `https://app.example.com,${origin(allowedPages)}` };
  service = await startExtraUserService(stack, cors);
  tokenService = await startExtraTokenService(stack, cors);
  username = unique("browser");
  userId = (await callUsers<{ user: { id: string } }>("createUser", { username })).user.id;
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await service?.stop();
  await tokenService?.stop();
  allowedPages?.close();
  otherPages?.close();
});

describe("browsers on the HTTP port", () => {
  it("when a page from a configured origin calls GetUser over Connect and gRPC-Web and GetJwks then it reads every answer", async () => {
    const { results } = await visit(allowedPages);
    expect(results.slice(0, 2)).toEqual([
      { ok: true, username },
      { ok: true, username },
    ]);
    expect(results[2]?.ok).toBe(true);
    expect(results[2]?.keys).toBeGreaterThanOrEqual(1);
  });

  it("when a page from an origin not configured calls either service then the browser refuses every answer for CORS", async () => {
    const { results, console } = await visit(otherPages);
    expect(results.map((r) => r.ok)).toEqual([false, false, false]);
    const refusals = console.filter((line) => line.includes("has been blocked by CORS policy") && line.includes(origin(otherPages)));
    expect(refusals.length).toBeGreaterThanOrEqual(3);
  });
});
