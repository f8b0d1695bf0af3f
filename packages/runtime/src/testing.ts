import type { Message } from "@bufbuild/protobuf";
import { create, createFileRegistry } from "@bufbuild/protobuf";
import type { GenMessage, GenService } from "@bufbuild/protobuf/codegenv2";
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema,
} from "@bufbuild/protobuf/wkt";
import { isDomainError } from "./domain-error.js";

// A small service covering every method kind, built from a descriptor at runtime.
const file = create(FileDescriptorProtoSchema, {
  name: "test/v1/echo.proto",
  package: "test.v1",
  syntax: "proto3",
  messageType: [
    {
      name: "EchoRequest",
      field: [
        {
          name: "text",
          jsonName: "text",
          number: 1,
          type: FieldDescriptorProto_Type.STRING,
          label: FieldDescriptorProto_Label.OPTIONAL,
        },
        {
          name: "count",
          jsonName: "count",
          number: 2,
          type: FieldDescriptorProto_Type.INT32,
          label: FieldDescriptorProto_Label.OPTIONAL,
        },
      ],
    },
    {
      name: "EchoResponse",
      field: [
        {
          name: "text",
          jsonName: "text",
          number: 1,
          type: FieldDescriptorProto_Type.STRING,
          label: FieldDescriptorProto_Label.OPTIONAL,
        },
      ],
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
