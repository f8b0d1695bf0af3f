import { cors } from "@connectrpc/connect";
import type { EnvReader } from "./env.js";
import type { HttpHandler } from "./http-server.js";

/** Headers a browser may send besides Connect's own: the bearer credential. */
const allowedHeaders = [...cors.allowedHeaders, "Authorization"].join(", ");
const allowedMethods = cors.allowedMethods.join(", ");
const exposedHeaders = cors.exposedHeaders.join(", ");
/** How long a browser may reuse a preflight's answer (Chromium caps it at two hours). */
const preflightMaxAgeSeconds = 7200;

/**
 * Reads a comma-separated list of exact origins (`https://app.example.com`,
 * `http://localhost:5173`): scheme, host and port only, as a browser sends
 * them in `Origin`. Wildcards and `null` are refused: an origin is allowed by
 * name or not at all.
 */
export function readCorsOrigins(env: EnvReader, name: string): string[] {
  const value = env.optionalString(name);
  if (value === undefined) return [];
  const origins = value
    .split(",")
    .map((o) => o.trim())
    .filter((o) => o !== "");
  for (const origin of origins) {
    if (!isExactOrigin(origin)) {
      env.reject(
        name,
        `must list origins such as https://app.example.com (scheme, host and optional port, no path), got "${origin}"`,
      );
      return [];
    }
  }
  return [...new Set(origins)];
}

function isExactOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    // URL accepts `*` in a host name; an origin list has no patterns.
    return (
      (url.protocol === "https:" || url.protocol === "http:") && url.origin === value && !url.hostname.includes("*")
    );
  } catch {
    return false;
  }
}

/**
 * Lets scripts from the listed origins call the port, with the headers
 * Connect, gRPC-Web and a bearer credential need (connect-es's CORS recipe).
 * A request from any other origin gets no CORS headers at all, so its browser
 * refuses the response; the Origin is matched exactly, never reflected. No
 * credentials mode: the bearer travels in a header, not a cookie. With no
 * origins the handler is returned as it is.
 */
export function withCors(handler: HttpHandler, origins: readonly string[]): HttpHandler {
  if (origins.length === 0) return handler;
  const allowed = new Set(origins);
  return (req, res) => {
    res.setHeader("vary", "Origin");
    const origin = req.headers.origin;
    if (origin === undefined || !allowed.has(origin)) return handler(req, res);
    res.setHeader("access-control-allow-origin", origin);
    if (req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined) {
      res.writeHead(204, {
        "access-control-allow-methods": allowedMethods,
        "access-control-allow-headers": allowedHeaders,
        "access-control-max-age": String(preflightMaxAgeSeconds),
      });
      res.end();
      return;
    }
    res.setHeader("access-control-expose-headers", exposedHeaders);
    return handler(req, res);
  };
}
