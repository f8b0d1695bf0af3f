import { randomUUID } from "node:crypto";
import { fromBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { BadRequestSchema, ErrorInfoSchema, StatusSchema } from "@roster/client";
import type { grpc} from "./plain-grpc.js";
import { bearer, plainClient, unary } from "./plain-grpc.js";
import { stackInfo } from "./stack-info.js";

const stack = stackInfo();

/** The plain gRPC UserService client and unary calls with the management key. */
export const userClient = plainClient("roster/user/v1/user_service.proto", "roster.user.v1.UserService", stack.user.grpc);

export function callUsers<T = Record<string, unknown>>(method: string, request: object, credential: string = stack.apiKey): Promise<T> {
  return unary<T>(userClient, method, request, bearer(credential));
}

/** A name no other test (or earlier run) uses. */
export function unique(prefix: string): string {
  return `${prefix}${randomUUID().slice(0, 8)}`;
}

export interface RpcFailure {
  code: grpc.status;
  reason?: string;
  fields: string[];
}

/** Runs a call that must fail and decodes its status details (ErrorInfo reason, BadRequest fields). */
export async function failureOf(fn: () => Promise<unknown>): Promise<RpcFailure> {
  try {
    await fn();
  } catch (err) {
    const error = err as grpc.ServiceError;
    const raw = error.metadata?.get("grpc-status-details-bin")[0];
    return { code: error.code, ...decodeDetails(raw instanceof Buffer ? raw : undefined) };
  }
  throw new Error("expected the call to fail");
}

/** Reads the ErrorInfo reason and BadRequest field names from the google.rpc.Status trailer. */
function decodeDetails(raw: Buffer | undefined): { reason?: string; fields: string[] } {
  if (raw === undefined) return { fields: [] };
  const status = fromBinary(StatusSchema, raw);
  let reason: string | undefined;
  const fields: string[] = [];
  for (const detail of status.details) {
    const info = anyUnpack(detail, ErrorInfoSchema);
    if (info !== undefined) reason = info.reason;
    const bad = anyUnpack(detail, BadRequestSchema);
    if (bad !== undefined) fields.push(...bad.fieldViolations.map((v) => v.field));
  }
  return { reason, fields };
}
