import { create, toBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeClient } from "./close-client.js";
import { ErrorInfoSchema } from "./gen/google/rpc/error_details_pb.js";
import { StatusSchema } from "./gen/google/rpc/status_pb.js";
import { UserService } from "./gen/roster/user/v1/user_service_pb.js";
import { createGrpcJsClient } from "./grpc-js-client.js";
import { connectErrorFromGrpc } from "./status-details-decoding.js";
import { slowUserId, startGrpcJsServer } from "./testing.js";

let server: Awaited<ReturnType<typeof startGrpcJsServer>>;

beforeAll(async () => {
  server = await startGrpcJsServer();
});

afterAll(async () => {
  await server.close();
});

describe("createGrpcJsClient", () => {
  it("when the credential function fails then the call fails UNAUTHENTICATED without reaching the server", async () => {
    const client = createGrpcJsClient(UserService, server.address, {
      credential: () => Promise.reject(new Error("vault sealed")),
    });
    const before = server.seen.length;
    const err = ConnectError.from(await client.getUser({ userId: "u1" }).catch((e: unknown) => e));
    closeClient(client);
    expect(err.code).toBe(Code.Unauthenticated);
    expect(err.rawMessage).toContain("vault sealed");
    expect(server.seen.length).toBe(before);
  });

  it("when the caller aborts then the call fails CANCELED promptly", async () => {
    const client = createGrpcJsClient(UserService, server.address);
    const controller = new AbortController();
    const pending = client.getUser({ userId: slowUserId }, { signal: controller.signal }).catch((e: unknown) => e);
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    const err = ConnectError.from(await pending);
    closeClient(client);
    expect(err.code).toBe(Code.Canceled);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("when call headers are given then they arrive as metadata and response headers reach onHeader", async () => {
    const client = createGrpcJsClient(UserService, server.address);
    let contentType: string | null = null;
    await client.getUser(
      { userId: "u1" },
      { headers: { authorization: "Bearer per-call" }, onHeader: (h) => (contentType = h.get("content-type")) },
    );
    closeClient(client);
    expect(server.seen.at(-1)?.authorization).toBe("Bearer per-call");
    expect(contentType).toBe("application/grpc+proto");
  });

  it("when the client is closed then further calls fail instead of reconnecting", async () => {
    const client = createGrpcJsClient(UserService, server.address);
    await client.getUser({ userId: "u1" });
    closeClient(client);
    const err = await client.getUser({ userId: "u1" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).rawMessage).toMatch(/shut down/);
  });
});

describe("connectErrorFromGrpc", () => {
  const serviceError = (metadata: Metadata): ServiceError =>
    Object.assign(new Error("5 NOT_FOUND: gone"), { code: status.NOT_FOUND, details: "gone", metadata });

  it("when status details are present then each becomes a typed detail and other trailers are kept", () => {
    const metadata = new Metadata();
    const info = create(ErrorInfoSchema, {
      reason: "USER_NOT_FOUND",
      domain: "roster.dev",
      metadata: { user_id: "u9" },
    });
    const details = create(StatusSchema, {
      code: status.NOT_FOUND,
      message: "gone",
      details: [anyPack(ErrorInfoSchema, info)],
    });
    metadata.set("grpc-status-details-bin", Buffer.from(toBinary(StatusSchema, details)));
    metadata.set("x-request-id", "r1");
    const err = connectErrorFromGrpc(serviceError(metadata));
    expect(err.code).toBe(Code.NotFound);
    expect(err.rawMessage).toBe("gone");
    expect(err.metadata.get("x-request-id")).toBe("r1");
    expect(err.findDetails(ErrorInfoSchema)[0]?.metadata).toEqual({ user_id: "u9" });
  });

  it("when the status details are garbage then code and message still come through", () => {
    const metadata = new Metadata();
    metadata.set("grpc-status-details-bin", Buffer.from([0xff, 0xff, 0xff]));
    const err = connectErrorFromGrpc(serviceError(metadata));
    expect(err.code).toBe(Code.NotFound);
    expect(err.details).toEqual([]);
  });
});
