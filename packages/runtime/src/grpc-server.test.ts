import type { DescMethod, MessageInitShape } from "@bufbuild/protobuf";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError, createContextKey } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGrpcServer, listenGrpc, type CallGuard, type ServiceRegistration } from "./grpc-server.js";
import { EchoRequestSchema, EchoResponseSchema, EchoService, type EchoResponse } from "./testing.js";

const greetingKey = createContextKey<string>("nobody");
const seen: { ctx?: HandlerContext; abortReason?: unknown; timeoutMs?: number } = {};
const internalErrors: { err: unknown; method: DescMethod }[] = [];

// "missing" stays unimplemented on purpose.
const impl: Partial<ServiceImpl<typeof EchoService>> = {
  async say(req, ctx) {
    seen.ctx = ctx;
    switch (req.text) {
      case "wait":
        seen.timeoutMs = ctx.timeoutMs();
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        seen.abortReason = ctx.signal.reason;
        return {};
      case "fail": {
        const err = new ConnectError("no such echo", Code.NotFound, { "x-error-meta": "42" }, [
          { desc: EchoResponseSchema, value: { text: "outgoing detail" } },
        ]);
        // Details decoded from another service's error travel on as they came.
        err.details.push({
          type: "test.v1.EchoResponse",
          value: toBinary(EchoResponseSchema, create(EchoResponseSchema, { text: "incoming detail" })),
        });
        throw err;
      }
      case "crash":
        throw new Error("secret database password in this message");
      case "headers":
        ctx.responseHeader.set("x-served-by", "echo");
        ctx.responseTrailer.set("x-trailer", "done");
        ctx.responseTrailer.set("x-trailer-bin", Buffer.from([1, 2, 3]).toString("base64"));
        return { text: `${ctx.requestHeader.get("x-greeting")}|${ctx.requestHeader.get("x-blob-bin")}` };
    }
    return { text: `${req.text}|${ctx.values.get(greetingKey)}` };
  },
  async *expand(req, ctx) {
    ctx.responseHeader.set("x-stream", "yes");
    for (let i = 0; i < req.count; i++) yield { text: `${req.text}${i}` };
    if (req.text === "forever") {
      await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      seen.abortReason = ctx.signal.reason;
    }
  },
  async collect(reqs) {
    const texts: string[] = [];
    for await (const req of reqs) texts.push(req.text);
    return { text: texts.join(",") };
  },
  async *chat(reqs) {
    for await (const req of reqs) yield { text: req.text.toUpperCase() };
  },
};

// Refuses calls without an authorization header; async for one value to cover both guard shapes.
const guard: CallGuard = (call) => {
  const auth = call.requestHeader.get("authorization");
  if (auth === null) throw new ConnectError("this call needs a credential", Code.Unauthenticated);
  call.contextValues.set(greetingKey, auth);
  if (auth === "async") return Promise.resolve();
};

const echoRegistration: ServiceRegistration<typeof EchoService> = { service: EchoService, impl };

let server: grpc.Server;
let client: grpc.Client;

beforeAll(async () => {
  server = createGrpcServer({
    services: [echoRegistration as ServiceRegistration],
    guard,
    onInternalError: (err, method) => internalErrors.push({ err, method }),
    maxReceiveMessageBytes: 1024,
  });
  const port = await listenGrpc(server, "127.0.0.1", 0);
  client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});

afterAll(() => {
  client.close();
  server.forceShutdown();
});

const path = (name: string) => `/test.v1.EchoService/${name}`;
const encode = (req: MessageInitShape<typeof EchoRequestSchema>) =>
  Buffer.from(toBinary(EchoRequestSchema, create(EchoRequestSchema, req)));
const decode = (bytes: Buffer) => fromBinary(EchoResponseSchema, bytes);

function metadata(entries: Record<string, string | Buffer> = { authorization: "key" }): grpc.Metadata {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(entries)) md.set(k, v);
  return md;
}

interface UnaryResult {
  response?: EchoResponse;
  error?: grpc.ServiceError;
  header?: grpc.Metadata;
  trailer?: grpc.Metadata;
}

function unary(
  name: string,
  req: MessageInitShape<typeof EchoRequestSchema> | Buffer,
  md = metadata(),
  options: grpc.CallOptions = {},
): Promise<UnaryResult> {
  return new Promise((resolve) => {
    const result: UnaryResult = {};
    const bytes = Buffer.isBuffer(req) ? req : encode(req);
    const call = client.makeUnaryRequest(
      path(name),
      (b: Buffer) => b,
      decode,
      bytes,
      md,
      options,
      (error, response) => {
        if (error) result.error = error;
        if (response) result.response = response;
      },
    );
    call.on("metadata", (h) => (result.header = h));
    call.on("status", (s) => {
      result.trailer = s.metadata;
      resolve(result);
    });
  });
}

function collectStream(
  call: grpc.ClientReadableStream<EchoResponse>,
): Promise<{ texts: string[]; error?: grpc.ServiceError; header?: grpc.Metadata }> {
  return new Promise((resolve) => {
    const texts: string[] = [];
    let header: grpc.Metadata | undefined;
    call.on("metadata", (h) => (header = h));
    call.on("data", (m: EchoResponse) => texts.push(m.text));
    call.on("error", (error: grpc.ServiceError) => resolve({ texts, error, header }));
    call.on("end", () => resolve({ texts, header }));
  });
}

/** Decodes grpc-status-details-bin: google.rpc.Status {1 code, 2 message, 3 repeated Any {1 type_url, 2 value}}. */
function decodeStatus(bytes: Buffer) {
  const status = { code: 0, message: "", details: [] as { typeUrl: string; value: Uint8Array }[] };
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field] = reader.tag();
    if (field === 1) status.code = reader.int32();
    else if (field === 2) status.message = reader.string();
    else {
      const any = new BinaryReader(reader.bytes());
      const detail: { typeUrl: string; value: Uint8Array } = { typeUrl: "", value: new Uint8Array() };
      while (any.pos < any.len) {
        const [f] = any.tag();
        if (f === 1) detail.typeUrl = any.string();
        else detail.value = any.bytes();
      }
      status.details.push(detail);
    }
  }
  return status;
}

describe("createGrpcServer, unary", () => {
  it("when a unary method is called then the handler answers with a Connect context for grpc", async () => {
    const { response, error } = await unary("Say", { text: "hello" });
    expect(error).toBeUndefined();
    expect(response?.text).toBe("hello|key");
    const ctx = seen.ctx!;
    expect(ctx.protocolName).toBe("grpc");
    expect(ctx.requestMethod).toBe("POST");
    expect(ctx.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/test\.v1\.EchoService\/Say$/);
    expect(ctx.service).toBe(EchoService);
    expect(ctx.method).toBe(EchoService.method.say);
    expect(ctx.timeoutMs()).toBeUndefined();
  });

  it("when the guard resolves asynchronously then the call proceeds with the values it set", async () => {
    const { response } = await unary("Say", { text: "hi" }, metadata({ authorization: "async" }));
    expect(response?.text).toBe("hi|async");
  });

  it("when metadata is sent then the handler reads it as headers and its response headers and trailers arrive", async () => {
    const md = metadata({ authorization: "key", "x-greeting": "hola", "x-blob-bin": Buffer.from([0xde, 0xad]) });
    const { response, header, trailer } = await unary("Say", { text: "headers" }, md);
    expect(response?.text).toBe(`hola|${Buffer.from([0xde, 0xad]).toString("base64")}`);
    expect(header?.get("x-served-by")).toEqual(["echo"]);
    expect(trailer?.get("x-trailer")).toEqual(["done"]);
    expect(trailer?.get("x-trailer-bin")).toEqual([Buffer.from([1, 2, 3])]);
  });

  it("when the deadline passes then the client gets DEADLINE_EXCEEDED and ctx.signal aborts with it", async () => {
    const { error } = await unary("Say", { text: "wait" }, metadata(), { deadline: Date.now() + 200 });
    expect(error?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    await expect.poll(() => seen.abortReason).toBeInstanceOf(ConnectError);
    expect((seen.abortReason as ConnectError).code).toBe(Code.DeadlineExceeded);
    expect(seen.timeoutMs).toBeGreaterThan(0);
    expect(seen.timeoutMs).toBeLessThanOrEqual(200);
  });

  it("when a ConnectError is thrown then code, message, metadata and decodable details reach the client", async () => {
    const { error } = await unary("Say", { text: "fail" });
    expect(error?.code).toBe(grpc.status.NOT_FOUND);
    expect(error?.details).toBe("no such echo");
    expect(error?.metadata.get("x-error-meta")).toEqual(["42"]);
    const status = decodeStatus(error?.metadata.get("grpc-status-details-bin")[0] as Buffer);
    expect(status.code).toBe(Code.NotFound);
    expect(status.message).toBe("no such echo");
    expect(status.details.map((d) => d.typeUrl)).toEqual([
      "type.googleapis.com/test.v1.EchoResponse",
      "type.googleapis.com/test.v1.EchoResponse",
    ]);
    expect(status.details.map((d) => fromBinary(EchoResponseSchema, d.value).text)).toEqual([
      "outgoing detail",
      "incoming detail",
    ]);
  });

  it("when a handler throws something else then the client gets INTERNAL without its message and it is reported", async () => {
    internalErrors.length = 0;
    const { error } = await unary("Say", { text: "crash" });
    expect(error?.code).toBe(grpc.status.INTERNAL);
    expect(error?.details).toBe("internal error");
    expect(JSON.stringify(error?.metadata.toJSON())).not.toContain("secret");
    expect(internalErrors).toHaveLength(1);
    expect((internalErrors[0]?.err as Error).message).toContain("secret");
    expect(internalErrors[0]?.method).toBe(EchoService.method.say);
  });

  it("when a method has no handler then the client gets UNIMPLEMENTED naming it", async () => {
    const { error } = await unary("Missing", {});
    expect(error?.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(error?.details).toBe("test.v1.EchoService.Missing is not implemented");
  });

  it("when the guard refuses then the client gets UNAUTHENTICATED and the handler does not run", async () => {
    seen.ctx = undefined;
    const { error } = await unary("Say", { text: "hello" }, metadata({}));
    expect(error?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(error?.details).toBe("this call needs a credential");
    expect(seen.ctx).toBeUndefined();
  });

  it("when the request does not decode then the client gets INVALID_ARGUMENT", async () => {
    const { error } = await unary("Say", Buffer.from([0x0a, 0x05, 0x61]));
    expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error?.details).toBe("cannot decode request");
  });

  it("when calls are served then grpc-js keeps no channelz record of the server", async () => {
    expect((await unary("Say", { text: "hi" })).error).toBeUndefined();
    type GetServer = ReturnType<typeof grpc.getChannelzHandlers>["GetServer"];
    const request = { request: { server_id: String(server.getChannelzRef().id) } } as Parameters<GetServer>[0];
    const error = await new Promise<Partial<grpc.StatusObject> | null>((resolve) =>
      grpc.getChannelzHandlers().GetServer(request, (err) => resolve(err)),
    );
    expect(error?.code).toBe(grpc.status.NOT_FOUND);
  });

  it("when the request is larger than the limit then the client gets RESOURCE_EXHAUSTED", async () => {
    const { error } = await unary("Say", { text: "x".repeat(2048) });
    expect(error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  });
});

describe("createGrpcServer, a registration's own response encoder", () => {
  it("when a registration gives a method an encoder then the client receives the bytes it writes", async () => {
    const own = createGrpcServer({
      services: [
        {
          service: EchoService,
          impl,
          encoders: {
            say: (value: unknown) =>
              toBinary(EchoResponseSchema, create(EchoResponseSchema, { text: `own:${(value as EchoResponse).text}` })),
          },
        } as ServiceRegistration,
      ],
    });
    const port = await listenGrpc(own, "127.0.0.1", 0);
    const original = client;
    client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      // The handler answers "hello|nobody" (no guard here); the encoder, not protobuf-es, writes the bytes.
      expect((await unary("Say", { text: "hello" })).response?.text).toBe("own:hello|nobody");
    } finally {
      client.close();
      client = original;
      own.forceShutdown();
    }
  });
});

describe("createGrpcServer, streaming", () => {
  const noSerialize = (b: Buffer) => b;

  it("when a server-streaming method is called then every yielded message and the response header arrive", async () => {
    const call = client.makeServerStreamRequest(
      path("Expand"),
      noSerialize,
      decode,
      encode({ text: "n", count: 3 }),
      metadata(),
    );
    const { texts, error, header } = await collectStream(call);
    expect(error).toBeUndefined();
    expect(texts).toEqual(["n0", "n1", "n2"]);
    expect(header?.get("x-stream")).toEqual(["yes"]);
  });

  it("when the client cancels a server stream then ctx.signal aborts with CANCELED", async () => {
    seen.abortReason = undefined;
    const call = client.makeServerStreamRequest(
      path("Expand"),
      noSerialize,
      decode,
      encode({ text: "forever", count: 1 }),
      metadata(),
    );
    call.on("error", () => {});
    await new Promise((resolve) => call.once("data", resolve));
    call.cancel();
    await expect.poll(() => seen.abortReason).toBeInstanceOf(ConnectError);
    expect((seen.abortReason as ConnectError).code).toBe(Code.Canceled);
  });

  it("when the guard refuses a stream then the client gets UNAUTHENTICATED", async () => {
    const call = client.makeServerStreamRequest(
      path("Expand"),
      noSerialize,
      decode,
      encode({ text: "n", count: 3 }),
      metadata({}),
    );
    const { texts, error } = await collectStream(call);
    expect(texts).toEqual([]);
    expect(error?.code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it("when a client-streaming method is called then the handler reads every request", async () => {
    const response = await new Promise<EchoResponse | undefined>((resolve, reject) => {
      const call = client.makeClientStreamRequest(path("Collect"), noSerialize, decode, metadata(), {}, (err, res) =>
        err ? reject(err) : resolve(res),
      );
      for (const text of ["a", "b", "c"]) call.write(encode({ text }));
      call.end();
    });
    expect(response?.text).toBe("a,b,c");
  });

  it("when a bidi method is called then answers interleave with requests", async () => {
    const call = client.makeBidiStreamRequest(path("Chat"), noSerialize, decode, metadata());
    const first = new Promise<EchoResponse>((resolve) => call.once("data", resolve));
    call.write(encode({ text: "ping" }));
    expect((await first).text).toBe("PING");
    call.write(encode({ text: "pong" }));
    call.end();
    const { texts, error } = await collectStream(call);
    expect(error).toBeUndefined();
    expect(texts).toEqual(["PONG"]);
  });

  it("when a bidi request does not decode then the client gets INVALID_ARGUMENT", async () => {
    const call = client.makeBidiStreamRequest(path("Chat"), noSerialize, decode, metadata());
    call.write(Buffer.from([0x0a, 0x05, 0x61]));
    call.end();
    const { error } = await collectStream(call);
    expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
  });
});
