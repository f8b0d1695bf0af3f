import * as http2 from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConnectHandler } from "./connect-server.js";
import { readCorsOrigins } from "./cors.js";
import type { ConfigError } from "./env.js";
import { EnvReader } from "./env.js";
import { listenHttp, type HttpListener } from "./http-server.js";
import type { ServiceRegistration } from "./service-registration.js";
import { EchoService, type EchoRequest } from "./testing.js";

const allowed = "http://app.example.test:5173";
const services = [
  { service: EchoService, impl: { say: (req: EchoRequest) => ({ text: req.text }) } },
] as unknown as ServiceRegistration[];
let withOrigins: HttpListener;
let withoutOrigins: HttpListener;

beforeAll(async () => {
  withOrigins = await listenHttp(
    createConnectHandler({ services, maxReceiveMessageBytes: 1 << 20, corsOrigins: [allowed] }),
    "127.0.0.1",
    0,
  );
  withoutOrigins = await listenHttp(
    createConnectHandler({ services, maxReceiveMessageBytes: 1 << 20 }),
    "127.0.0.1",
    0,
  );
});
afterAll(async () => {
  await withOrigins.close(100);
  await withoutOrigins.close(100);
});

const path = "/test.v1.EchoService/Say";

function preflight(listener: HttpListener, origin: string) {
  return fetch(`http://127.0.0.1:${listener.port}${path}`, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization,content-type,connect-protocol-version",
    },
  });
}

function call(listener: HttpListener, origin: string) {
  return fetch(`http://127.0.0.1:${listener.port}${path}`, {
    method: "POST",
    headers: { origin, "content-type": "application/json" },
    body: JSON.stringify({ text: "hi" }),
  });
}

describe("CORS on the HTTP port", () => {
  it("when a configured origin sends a preflight then it is allowed the Connect and gRPC-Web headers and the bearer", async () => {
    const res = await preflight(withOrigins, allowed);
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(allowed);
    expect(res.headers.get("access-control-allow-methods")).toBe("POST, GET");
    const headers = (res.headers.get("access-control-allow-headers") ?? "").toLowerCase().split(", ");
    expect(headers).toEqual(
      expect.arrayContaining([
        "authorization",
        "content-type",
        "connect-protocol-version",
        "x-grpc-web",
        "grpc-timeout",
      ]),
    );
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    expect(res.headers.get("vary")).toBe("Origin");
  });

  it("when a configured origin calls then the answer names that origin and exposes the gRPC status headers", async () => {
    const res = await call(withOrigins, allowed);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ text: "hi" });
    expect(res.headers.get("access-control-allow-origin")).toBe(allowed);
    expect((res.headers.get("access-control-expose-headers") ?? "").split(", ")).toEqual(
      expect.arrayContaining(["Grpc-Status", "Grpc-Message", "Grpc-Status-Details-Bin"]),
    );
  });

  it("when a configured origin calls over HTTP/2 (what browsers use over TLS) then the answer carries the same CORS headers", async () => {
    const session = http2.connect(`http://127.0.0.1:${withOrigins.port}`);
    try {
      const headers = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
        const request = session.request({
          ":method": "POST",
          ":path": path,
          origin: allowed,
          "content-type": "application/json",
        });
        request.on("response", resolve).on("error", reject);
        request.end(JSON.stringify({ text: "hi" }));
        request.resume();
      });
      expect(headers[":status"]).toBe(200);
      expect(headers["access-control-allow-origin"]).toBe(allowed);
      expect(headers.vary).toBe("Origin");
    } finally {
      session.close();
    }
  });

  it("when another origin sends a preflight or a call then no CORS header is sent, so its browser refuses the answer", async () => {
    for (const origin of ["http://evil.example.test", "http://app.example.test:5174", "null"]) {
      const pre = await preflight(withOrigins, origin);
      expect(pre.headers.get("access-control-allow-origin")).toBeNull();
      expect(pre.headers.get("access-control-allow-headers")).toBeNull();
      const res = await call(withOrigins, origin);
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
      expect(res.headers.get("vary")).toBe("Origin");
    }
  });

  it("when no origin is configured then a preflight is not answered with CORS headers", async () => {
    const pre = await preflight(withoutOrigins, allowed);
    expect(pre.headers.get("access-control-allow-origin")).toBeNull();
    expect((await call(withoutOrigins, allowed)).headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("readCorsOrigins", () => {
  const read = (value: string | undefined) => {
    const env = new EnvReader({ ROSTER_CORS_ORIGINS: value });
    const origins = readCorsOrigins(env, "ROSTER_CORS_ORIGINS");
    return env.done({ origins }).origins;
  };

  it("when unset then no origin is allowed", () => {
    expect(read(undefined)).toEqual([]);
  });

  it("when exact origins are listed then they are kept once each", () => {
    expect(read(" https://app.example.com, http://localhost:5173 ,https://app.example.com")).toEqual([
      "https://app.example.com",
      "http://localhost:5173",
    ]);
  });

  it("when an entry is a wildcard, null, a path or another scheme then the variable is refused by name", () => {
    for (const bad of [
      "*",
      "null",
      "https://app.example.com/",
      "https://app.example.com/ui",
      "https://*.example.com",
      "ftp://files.example.com",
      "app.example.com",
    ]) {
      let problem: ConfigError | undefined;
      try {
        read(`https://ok.example.com,${bad}`);
      } catch (err) {
        problem = err as ConfigError;
      }
      expect(
        problem?.problems.map((p) => p.variable),
        bad,
      ).toEqual(["ROSTER_CORS_ORIGINS"]);
    }
  });
});
