import type { Message } from "@bufbuild/protobuf";
import { create, createFileRegistry } from "@bufbuild/protobuf";
import type { GenMessage, GenService } from "@bufbuild/protobuf/codegenv2";
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema,
} from "@bufbuild/protobuf/wkt";
import { isDomainError } from "./domain-error.js";

/** An optional scalar field of a message descriptor. */
const scalar = (name: string, number: number, type: FieldDescriptorProto_Type) => ({
  name,
  jsonName: name,
  number,
  type,
  label: FieldDescriptorProto_Label.OPTIONAL,
});

// A small service covering every method kind, built from a descriptor at runtime.
const file = create(FileDescriptorProtoSchema, {
  name: "test/v1/echo.proto",
  package: "test.v1",
  syntax: "proto3",
  messageType: [
    {
      name: "EchoRequest",
      field: [scalar("text", 1, FieldDescriptorProto_Type.STRING), scalar("count", 2, FieldDescriptorProto_Type.INT32)],
    },
    {
      name: "EchoResponse",
      field: [scalar("text", 1, FieldDescriptorProto_Type.STRING)],
    },
  ],
  service: [
    {
      name: "EchoService",
      method: [
        { name: "Say", inputType: ".test.v1.EchoRequest", outputType: ".test.v1.EchoResponse" },
        {
          name: "Expand",
          inputType: ".test.v1.EchoRequest",
          outputType: ".test.v1.EchoResponse",
          serverStreaming: true,
        },
        {
          name: "Collect",
          inputType: ".test.v1.EchoRequest",
          outputType: ".test.v1.EchoResponse",
          clientStreaming: true,
        },
        {
          name: "Chat",
          inputType: ".test.v1.EchoRequest",
          outputType: ".test.v1.EchoResponse",
          clientStreaming: true,
          serverStreaming: true,
        },
        { name: "Missing", inputType: ".test.v1.EchoRequest", outputType: ".test.v1.EchoResponse" },
      ],
    },
  ],
});
const registry = createFileRegistry(file, () => undefined);

export type EchoRequest = Message<"test.v1.EchoRequest"> & { text: string; count: number };
export type EchoResponse = Message<"test.v1.EchoResponse"> & { text: string };

export const EchoRequestSchema = registry.getMessage("test.v1.EchoRequest") as GenMessage<EchoRequest>;
export const EchoResponseSchema = registry.getMessage("test.v1.EchoResponse") as GenMessage<EchoResponse>;

type Kind<K extends string> = { methodKind: K; input: typeof EchoRequestSchema; output: typeof EchoResponseSchema };

export const EchoService = registry.getService("test.v1.EchoService") as GenService<{
  say: Kind<"unary">;
  expand: Kind<"server_streaming">;
  collect: Kind<"client_streaming">;
  chat: Kind<"bidi_streaming">;
  missing: Kind<"unary">;
}>;

/** `kind/REASON` of an async domain call that failed, or "OK"; any other error is thrown on. */
export async function domainOutcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "OK";
  } catch (err) {
    if (!isDomainError(err)) throw err;
    return `${err.kind}/${err.reason}`;
  }
}

/** The reason of the DomainError `fn` throws; undefined when it returns, "other" for any other error. */
export function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return isDomainError(err) ? err.reason : "other";
  }
}

/** mulberry32: small, fast, and the same sequence for the same seed on every machine, so a failure names a seed that replays it. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
