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
import { blocks } from "./helpers/readme.js";
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

/** The README's Browsers snippet, given what it leaves to its page: the token, the user id and the port. */
function readmeScript(): string {
  const snippet = blocks("ts").find((block) => block.includes("@connectrpc/connect-web"));
  if (snippet === undefined) throw new Error("the README has no connect-web snippet");
  const params = `const params = new URLSearchParams(location.search);
const accessToken = params.get("key");
const userId = params.get("id");
`;
  return `${params}${snippet.replace('"http://127.0.0.1:8051"', 'params.get("api")')}\n(globalThis as { readmeUser?: string }).readmeUser = user?.username;\n`;
}

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

function pageServer(scripts: Record<string, string>): Promise<Server> {
  const server = createServer((req, res) => {
    const script = scripts[req.url ?? ""];
    if (script !== undefined) {
      res.writeHead(200, { "content-type": "text/javascript" });
      res.end(script);
      return;
    }
    res.writeHead(200, { "content-type": "text/html" });
    res.end(
      `<!doctype html>${Object.keys(scripts)
        .map((src) => `<script type="module" src="${src}"></script>`)
        .join("")}`,
    );
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const origin = (server: Server) => `http://localhost:${(server.address() as AddressInfo).port}`;

interface Visit {
  results: CallResult[];
  /** What the README's snippet read, once it has (undefined when it has not). */
  readmeUser: () => Promise<string | undefined>;
  console: string[];
}

async function visit(pages: Server, during: (visit: Visit) => Promise<void>): Promise<void> {
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
    const readmeUser = async () => {
      await page.waitForFunction(() => "readmeUser" in globalThis);
      return page.evaluate(() => (globalThis as { readmeUser?: string }).readmeUser);
    };
    await during({ results, readmeUser, console });
  } finally {
    await page.close();
  }
}

beforeAll(async () => {
  // A machine without the browser must fail this test, not skip it.
  if (!existsSync(chromiumPath))
    throw new Error(`${chromiumPath} is missing: install Debian's chromium (apt-get install -y chromium)`);
  const bundle = async (contents: string, loader: "js" | "ts") => {
    const resolveDir = fileURLToPath(new URL(".", import.meta.url));
    const bundled = await build({
      stdin: { contents, resolveDir, loader },
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      write: false,
    });
    return bundled.outputFiles[0]?.text ?? "";
  };
  const scripts = { "/page.js": await bundle(pageScript, "js"), "/readme.js": await bundle(readmeScript(), "ts") };
  allowedPages = await pageServer(scripts);
  otherPages = await pageServer(scripts);
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
    await visit(allowedPages, async ({ results }) => {
      expect(results.slice(0, 2)).toEqual([
        { ok: true, username },
        { ok: true, username },
      ]);
      expect(results[2]?.ok).toBe(true);
      expect(results[2]?.keys).toBeGreaterThanOrEqual(1);
    });
  });

  it("when the README's Browsers snippet runs on a page from a configured origin then it reads the user", async () => {
    await visit(allowedPages, async ({ readmeUser }) => {
      expect(await readmeUser()).toBe(username);
    });
  });

  it("when a page from an origin not configured calls either service then the browser refuses every answer for CORS", async () => {
    await visit(otherPages, async ({ results, console }) => {
      expect(results.map((r) => r.ok)).toEqual([false, false, false]);
      const refusals = console.filter(
        (line) => line.includes("has been blocked by CORS policy") && line.includes(origin(otherPages)),
      );
      expect(refusals.length).toBeGreaterThanOrEqual(3);
    });
  });
});
