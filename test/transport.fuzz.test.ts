import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { RoleService, TokenService, UserService } from "@roster/client";
import { afterAll, describe, expect, it } from "vitest";
import { prng } from "@roster/runtime/testing";
import { fuzzCases, jsonFuzzCases } from "./helpers/fuzz-cases.js";
import { grpc } from "./helpers/plain-grpc.js";
import { stackInfo } from "./helpers/stack-info.js";

// Every RPC on both ports gets malformed and hostile bodies: random bytes,
// truncations, wrong wire types, oversized fields, invalid UTF-8 and deep
// Structs in binary, and unknown keys, wrong types, deep nesting and broken
// text in Connect JSON. Each answer must be OK or a code the contract documents for that
// RPC (its own Errors plus the service-wide list), never INTERNAL or UNKNOWN.

const seed = 20261129;
const casesPerMethod = 12;
const stack = stackInfo();

const codeNames = Object.keys(grpc.status).filter((k) => Number.isNaN(Number(k)));
const codePattern = new RegExp(`\\b(${codeNames.join("|")})\\b`, "g");

const protoLines = (file: string) =>
  readFileSync(fileURLToPath(new URL(`../proto/${file}`, import.meta.url)), "utf8").split("\n");

/** The status names in the comment block right above the first line starting with `start`. */
function codesAbove(lines: string[], start: string): Set<string> {
  const index = lines.findIndex((l) => l.trim().startsWith(start));
  const block: string[] = [];
  for (let i = index - 1; i >= 0 && (lines[i] ?? "").trim().startsWith("//"); i--) block.push(lines[i] ?? "");
  return new Set(block.join(" ").match(codePattern) ?? []);
}

/** The service-wide list of errors any RPC may return (RoleService refers to UserService's). */
const commonCodes = (file: string, service: string) => codesAbove(protoLines(file), `service ${service} `);

/** The codes the .proto comments document for each RPC: its own list plus the service-wide one. */
function documentedCodes(file: string, service: DescService, common: Set<string>): Map<string, Set<string>> {
  const lines = protoLines(file);
  const result = new Map<string, Set<string>>();
  for (const method of service.methods) {
    result.set(method.name, new Set(["OK", ...common, ...codesAbove(lines, `rpc ${method.name}(`)]));
  }
  return result;
}

const userServiceFile = "roster/user/v1/user_service.proto";
const tokenServiceFile = "roster/token/v1/token_service.proto";
const targets = [
  {
    service: UserService,
    file: userServiceFile,
    common: commonCodes(userServiceFile, "UserService"),
    ports: stack.user,
  },
  {
    service: RoleService,
    file: "roster/user/v1/role_service.proto",
    common: commonCodes(userServiceFile, "UserService"),
    ports: stack.user,
  },
  {
    service: TokenService,
    file: tokenServiceFile,
    common: commonCodes(tokenServiceFile, "TokenService"),
    ports: stack.token,
  },
];

const grpcClients = new Map<number, grpc.Client>();
afterAll(() => grpcClients.forEach((c) => c.close()));

function grpcClient(port: number): grpc.Client {
  let client = grpcClients.get(port);
  if (client === undefined) {
    client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      "grpc.max_send_message_length": -1,
    });
    grpcClients.set(port, client);
  }
  return client;
}

const pass = (b: Buffer) => b;
const streamWindowMs = 300;

/** The status name a raw body gets on the native gRPC port. */
function overGrpc(port: number, method: DescMethod, body: Uint8Array): Promise<string> {
  const client = grpcClient(port);
  const path = `/${method.parent.typeName}/${method.name}`;
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${stack.apiKey}`);
  const name = (code: number) => grpc.status[code] ?? String(code);
  if (method.methodKind === "server_streaming") {
    return new Promise((resolve) => {
      const call = client.makeServerStreamRequest(path, pass, pass, Buffer.from(body), metadata, {});
      // A stream still open after the window accepted the request; our cancel ends it.
      const timer = setTimeout(() => {
        call.cancel();
        resolve("OK");
      }, streamWindowMs);
      call.on("data", () => undefined);
      call.on("error", (err: grpc.ServiceError) => {
        clearTimeout(timer);
        resolve(err.code === grpc.status.CANCELLED ? "OK" : name(err.code));
      });
      call.on("end", () => {
        clearTimeout(timer);
        resolve("OK");
      });
    });
  }
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, pass, pass, Buffer.from(body), metadata, { deadline: Date.now() + 10_000 }, (err) =>
      resolve(err ? name(err.code) : "OK"),
    );
  });
}

/** The status name a raw body gets over Connect on the HTTP port (unary binary, or an enveloped stream request). */
async function overConnect(port: number, method: DescMethod, body: Uint8Array, json = false): Promise<string> {
  const streaming = method.methodKind === "server_streaming";
  const format = json ? "json" : "proto";
  const payload = Buffer.concat([Buffer.alloc(streaming ? 5 : 0), body]);
  if (streaming) payload.writeUInt32BE(body.length, 1);
  const abort = new AbortController();
  const timer = streaming ? setTimeout(() => abort.abort(), streamWindowMs) : undefined;
  try {
    const response = await fetch(`http://127.0.0.1:${port}/${method.parent.typeName}/${method.name}`, {
      method: "POST",
      headers: {
        "content-type": streaming ? `application/connect+${format}` : `application/${format}`,
        authorization: `Bearer ${stack.apiKey}`,
      },
      body: payload,
      signal: AbortSignal.any([abort.signal, AbortSignal.timeout(10_000)]),
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    if (streaming) {
      // The end-of-stream frame (flag 2) carries {"error": {"code": ...}} when the call failed.
      for (let at = 0; at + 5 <= bytes.length; at += 5 + bytes.readUInt32BE(at + 1)) {
        if ((bytes[at] ?? 0) & 2) {
          const end = JSON.parse(bytes.subarray(at + 5, at + 5 + bytes.readUInt32BE(at + 1)).toString()) as {
            error?: { code: string };
          };
          if (end.error !== undefined) return end.error.code.toUpperCase();
        }
      }
      return "OK";
    }
    if (response.status === 200) return "OK";
    return (JSON.parse(bytes.toString()) as { code: string }).code.toUpperCase();
  } catch (err) {
    if (abort.signal.aborted) return "OK";
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

describe("malformed requests on every RPC", () => {
  for (const { service, file, common, ports } of targets) {
    const documented = documentedCodes(file, service, common);
    it(`when every ${service.name} RPC gets ${casesPerMethod} hostile bodies (seed ${seed}) on both ports then each answer is a documented code`, async () => {
      const random = prng(seed);
      const undocumented: string[] = [];
      for (const method of service.methods) {
        const allowed = documented.get(method.name) ?? new Set(["OK"]);
        for (const [index, fuzz] of fuzzCases(method.input, random, casesPerMethod).entries()) {
          for (const [port, answer] of [
            ["grpc", await overGrpc(ports.grpc, method, fuzz.bytes)],
            ["http", await overConnect(ports.http, method, fuzz.bytes)],
          ] as const) {
            if (!allowed.has(answer))
              undocumented.push(`${method.name} case ${index} (${fuzz.kind}) on ${port}: ${answer}`);
          }
        }
        for (const [index, fuzz] of jsonFuzzCases(method.input, random, casesPerMethod).entries()) {
          const answer = await overConnect(ports.http, method, fuzz.bytes, true);
          if (!allowed.has(answer)) undocumented.push(`${method.name} JSON case ${index} (${fuzz.kind}): ${answer}`);
        }
      }
      expect(undocumented).toEqual([]);
    }, 120_000);
  }
});
