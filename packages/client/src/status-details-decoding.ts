import { fromBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Metadata, ServiceError } from "@grpc/grpc-js";
import { StatusSchema } from "./gen/google/rpc/status_pb.js";

/** The trailer carrying a binary google.rpc.Status with the error details; Roster's servers write it, this module reads it. */
export const statusDetailsTrailer = "grpc-status-details-bin";

/** Turns grpc-js metadata into Headers; binary values are sent base64-encoded, as on the wire. */
export function metadataToHeaders(metadata: Metadata): Headers {
  const headers = new Headers();
  for (const [key, values] of Object.entries(metadata.getMap())) {
    if (key === statusDetailsTrailer) continue;
    headers.append(key, typeof values === "string" ? values : Buffer.from(values).toString("base64"));
  }
  return headers;
}

/**
 * Maps a grpc-js call error to a ConnectError with the same code, message and
 * trailers, and the `google.rpc.Status` details of `grpc-status-details-bin`,
 * so `err.findDetails(ErrorInfoSchema)` works whichever client made the call.
 */
export function connectErrorFromGrpc(err: ServiceError): ConnectError {
  const code: Code = err.code in Code ? (err.code as number) : Code.Unknown;
  const metadata = err.metadata as Metadata | undefined;
  const error = new ConnectError(err.details, code, metadata ? metadataToHeaders(metadata) : undefined, undefined, err);
  const raw = metadata?.get(statusDetailsTrailer)[0];
  if (raw instanceof Buffer) {
    try {
      for (const any of fromBinary(StatusSchema, raw).details) {
        error.details.push({ type: any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1), value: any.value });
      }
    } catch {
      // A peer that sends undecodable details still gets its code and message through.
    }
  }
  return error;
}
