import { fileURLToPath } from "node:url";
import type { ClientTls } from "@roster/client";
import type { CallGuard, HttpRoute } from "@roster/runtime";
import { loadStaticFiles, securityHeaders } from "./static-files.js";
import { createTokenForwarder } from "./token-forwarding.js";

export interface ConsoleOptions {
  /** Where the console is served, with a leading and trailing slash ("/console/"). */
  path: string;
  tokenServiceHttpUrl: string;
  guard: CallGuard;
  maxMessageBytes: number;
  tls?: ClientTls;
  /** The built page; this package's own build by default. */
  webDir?: string;
}

/** The path under the console where token-service calls are forwarded. */
export const tokenPathSegment = "token/";

const defaultWebDir = fileURLToPath(new URL("../web/", import.meta.url));

/**
 * Serves the built console under `path` (the page and its assets, with
 * a strict Content-Security-Policy) and forwards its token-service calls.
 * Requests outside `path` get a plain 404.
 */
export function createConsoleHandler(options: ConsoleOptions): HttpRoute {
  const files = loadStaticFiles(options.webDir ?? defaultWebDir);
  const index = files.get("index.html");
  if (index === undefined)
    throw new Error(`the console is not built: no index.html in ${options.webDir ?? defaultWebDir}`);
  const forward = createTokenForwarder(options);
  const base = options.path;
  const tokenPrefix = `${base}${tokenPathSegment}`;

  return async (req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (path === base.slice(0, -1)) {
      res.writeHead(308, { location: base, ...securityHeaders });
      res.end();
      return;
    }
    if (path.startsWith(tokenPrefix)) {
      await forward(req, res, path.slice(tokenPrefix.length));
      return;
    }
    const file = path.startsWith(base) ? (path === base ? index : files.get(path.slice(base.length))) : undefined;
    if (file === undefined || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found\n");
      return;
    }
    // Built assets carry a content hash in their names; the page itself is always revalidated.
    const cacheControl = file === index ? "no-cache" : "public, max-age=31536000, immutable";
    const headers = {
      "content-type": file.contentType,
      etag: file.etag,
      "cache-control": cacheControl,
      ...securityHeaders,
    };
    if (req.headers["if-none-match"] === file.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, "content-length": String(file.body.length) });
    if (req.method === "HEAD") res.end();
    else res.end(file.body);
  };
}
