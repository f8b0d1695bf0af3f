import type { DescMethod } from "@bufbuild/protobuf";
import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { Code, ConnectError } from "@connectrpc/connect";
import type { StatusObject, status as GrpcStatus } from "@grpc/grpc-js";
import { Metadata } from "@grpc/grpc-js";
import { statusDetailsTrailer } from "@roster/client";
import { appendHeadersToMetadata } from "./grpc-metadata.js";

/**
 * Encodes google.rpc.Status {1: code, 2: message, 3: repeated Any {1: type_url,
 * 2: value}} with the wire writer, which keeps the runtime free of generated code.
 */
export function encodeStatusDetails(error: ConnectError): Uint8Array {
  const writer = new BinaryWriter();
  writer.tag(1, WireType.Varint).int32(error.code);
  writer.tag(2, WireType.LengthDelimited).string(error.rawMessage);
  for (const detail of error.details) {
    const [typeName, value] =
      "desc" in detail
        ? [detail.desc.typeName, toBinary(detail.desc, create(detail.desc, detail.value))]
        : [detail.type, detail.value];
    writer.tag(3, WireType.LengthDelimited).fork();
    writer.tag(1, WireType.LengthDelimited).string(`type.googleapis.com/${typeName}`);
    writer.tag(2, WireType.LengthDelimited).bytes(value);
    writer.join();
  }
  return writer.finish();
}

/** Where errors that are not ConnectErrors are reported; their text never reaches the client. */
export type InternalErrorReporter = (err: unknown, method: DescMethod) => void;

/**
 * Turns what a handler (or the guard) threw into the gRPC status to send.
 * A ConnectError keeps its code (Connect codes are gRPC codes), message,
 * metadata and details; anything else becomes INTERNAL "internal error".
 */
export function errorToStatus(
  err: unknown,
  method: DescMethod,
  trailers: Metadata | undefined,
  onInternalError: InternalErrorReporter | undefined,
): StatusObject {
  const metadata = trailers ?? new Metadata();
  if (!(err instanceof ConnectError)) {
    onInternalError?.(err, method);
    return { code: grpcCode(Code.Internal), details: "internal error", metadata };
  }
  appendHeadersToMetadata(err.metadata, metadata);
  if (err.details.length > 0) {
    const bytes = encodeStatusDetails(err);
    metadata.set(statusDetailsTrailer, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
  return { code: grpcCode(err.code), details: err.rawMessage, metadata };
}

// Connect's codes are gRPC's codes, number for number.
function grpcCode(code: Code): GrpcStatus {
  return code as number as GrpcStatus;
}
