import { gzipSync } from "node:zlib";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { BadRequestSchema, ErrorInfoSchema, GetUserRequestSchema, StatusSchema } from "@roster/client";
import { describe, expect, it } from "vitest";
import { connectJson } from "./helpers/connect-json.js";
import { detailedFailureOf } from "./helpers/contract.js";
import { grpc } from "./helpers/plain-grpc.js";
import { stackInfo } from "./helpers/stack-info.js";
import { userClient } from "./helpers/users.js";
import { uniqueName } from "./helpers/tokens.js";

// The HTTP port (Connect, gRPC-Web, gRPC) answers bad requests the way the
// native gRPC port does: INVALID_ARGUMENT with an ErrorInfo reason, never 500.

const stack = stackInfo();
const users = "/roster.user.v1.UserService";
// Field 1 (user_id, a string) as a length-delimited value running past the end.
const truncated = new Uint8Array([0x0a, 0x10, 0x61]);

interface ConnectErrorJson {
  code?: string;
  details?: { type: string; value: string }[];
}

/** The Connect error code, ErrorInfo reason and BadRequest fields of a JSON error body. */
function connectFailure(status: number, body: ConnectErrorJson) {
  let reason: string | undefined;
  const fields: string[] = [];
  for (const detail of body.details ?? []) {
    const bytes = Buffer.from(detail.value, "base64");
    if (detail.type === "google.rpc.ErrorInfo") reason = fromBinary(ErrorInfoSchema, bytes).reason;
    if (detail.type === "google.rpc.BadRequest")
      fields.push(...fromBinary(BadRequestSchema, bytes).fieldViolations.map((v) => v.field));
  }
  return { status, code: body.code, reason, fields };
}

async function connectBinary(port: number, path: string, body: Uint8Array, extraHeaders: Record<string, string> = {}) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: "POST",
    headers: { "content-type": "application/proto", authorization: `Bearer ${stack.apiKey}`, ...extraHeaders },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  return connectFailure(response.status, JSON.parse(await response.text()) as ConnectErrorJson);
}

/** gRPC-Web over fetch: one enveloped message in, the status and ErrorInfo reason out (headers or trailer frame). */
async function grpcWeb(port: number, path: string, message: Uint8Array, envelope = true) {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: "POST",
    headers: { "content-type": "application/grpc-web+proto", authorization: `Bearer ${stack.apiKey}` },
    body: envelope ? frame : message,
    signal: AbortSignal.timeout(10_000),
  });
  const trailers = new Map<string, string>(response.headers);
  const body = Buffer.from(await response.arrayBuffer());
  for (let at = 0; at + 5 <= body.length; at += 5 + body.readUInt32BE(at + 1)) {
    if ((body[at] ?? 0) & 0x80) {
      for (const line of body
        .subarray(at + 5, at + 5 + body.readUInt32BE(at + 1))
        .toString()
        .split("\r\n")) {
        const colon = line.indexOf(":");
        if (colon > 0) trailers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
      }
    }
  }
  const details = trailers.get("grpc-status-details-bin");
  const status = details === undefined ? undefined : fromBinary(StatusSchema, Buffer.from(details, "base64"));
  const info = status?.details.map((d) => anyUnpack(d, ErrorInfoSchema)).find((i) => i !== undefined);
  return { status: response.status, grpcStatus: Number(trailers.get("grpc-status")), reason: info?.reason };
}

describe("the HTTP port's answers to bad requests", () => {
  it("when a binary request cannot be decoded then Connect and gRPC-Web on the HTTP port answer INVALID_ARGUMENT MALFORMED_REQUEST", async () => {
    expect(await connectBinary(stack.user.http, `${users}/GetUser`, truncated)).toMatchObject({
      status: 400,
      code: "invalid_argument",
      reason: "MALFORMED_REQUEST",
    });
    expect(await grpcWeb(stack.user.http, `${users}/GetUser`, truncated)).toEqual({
      status: 200,
      grpcStatus: 3,
      reason: "MALFORMED_REQUEST",
    });
    expect(await grpcWeb(stack.token.http, "/roster.token.v1.TokenService/IntrospectToken", truncated, false)).toEqual({
      status: 200,
      grpcStatus: 3,
      reason: "MALFORMED_REQUEST",
    });
  });

  it("when a binary request arrives gzip-compressed then it is judged after decompression: valid passes, undecodable is MALFORMED_REQUEST", async () => {
    const request = toBinary(GetUserRequestSchema, create(GetUserRequestSchema, { userId: "no-such-user" }));
    const gzipped = (body: Uint8Array) =>
      connectBinary(stack.user.http, `${users}/GetUser`, gzipSync(body), { "content-encoding": "gzip" });
    expect(await gzipped(request)).toMatchObject({ status: 404, reason: "USER_NOT_FOUND" });
    expect(await gzipped(truncated)).toMatchObject({ status: 400, reason: "MALFORMED_REQUEST" });
  });

  it("when a binary request cannot be decoded then the gRPC port answers INVALID_ARGUMENT with reason MALFORMED_REQUEST", async () => {
    const raw = userClient.makeUnaryRequest.bind(userClient);
    const failure = await detailedFailureOf(
      () =>
        new Promise((resolve, reject) => {
          const metadata = new grpc.Metadata();
          metadata.set("authorization", `Bearer ${stack.apiKey}`);
          raw(
            `${users}/GetUser`,
            (b: Buffer) => b,
            (b: Buffer) => b,
            Buffer.from(truncated),
            metadata,
            {},
            (err, value) => (err ? reject(err) : resolve(value)),
          );
        }),
    );
    expect(failure).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, reason: "MALFORMED_REQUEST" });
  });

  it("when Connect JSON names an unknown field then INVALID_ARGUMENT names it and no user is created", async () => {
    const username = uniqueName("typo");
    const reply = await connectJson(stack.user.http, `${users}/CreateUser`, { username, usernme: "x" }, stack.apiKey);
    expect(connectFailure(reply.status, reply.body as ConnectErrorJson)).toEqual({
      status: 400,
      code: "invalid_argument",
      reason: "MALFORMED_REQUEST",
      fields: ["usernme"],
    });
    const lookup = await connectJson(stack.user.http, `${users}/GetUserByIdentifier`, { username }, stack.apiKey);
    expect(lookup.status).toBe(404);
  });

  it("when Connect JSON has a misspelt enum name then INVALID_ARGUMENT names the field", async () => {
    const reply = await connectJson(
      stack.user.http,
      `${users}/SearchUsers`,
      { sort: { field: "USER_SORT_FIELD_USRNAME" } },
      stack.apiKey,
    );
    expect(connectFailure(reply.status, reply.body as ConnectErrorJson)).toEqual({
      status: 400,
      code: "invalid_argument",
      reason: "MALFORMED_REQUEST",
      fields: ["sort.field"],
    });
  });

  it("when ImportUsers over Connect JSON has a failing item then it answers 200 with that item's status and details", async () => {
    const taken = uniqueName("imp");
    const reply = await connectJson(
      stack.user.http,
      `${users}/ImportUsers`,
      { requests: [{ username: taken }, { username: taken }] },
      stack.apiKey,
    );
    expect(reply.status).toBe(200);
    const results = reply.body.results as {
      user?: object;
      error?: { code: number; details: { "@type": string; reason?: string }[] };
    }[];
    expect(results[0]?.user).toBeDefined();
    expect(results[1]?.error?.code).toBe(grpc.status.ALREADY_EXISTS);
    expect(results[1]?.error?.details.find((d) => d["@type"].endsWith("google.rpc.ErrorInfo"))?.reason).toBe(
      "USERNAME_TAKEN",
    );
  });
});
