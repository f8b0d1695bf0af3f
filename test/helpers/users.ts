import { randomUUID } from "node:crypto";
import { detailedFailureOf } from "./contract.js";
import type { grpc } from "./plain-grpc.js";
import { bearer, plainClient, unary } from "./plain-grpc.js";
import { stackInfo } from "./stack-info.js";

const stack = stackInfo();

/** The plain gRPC UserService client and unary calls with the management key. */
export const userClient = plainClient(
  "roster/user/v1/user_service.proto",
  "roster.user.v1.UserService",
  stack.user.grpc,
);

export function callUsers<T = Record<string, unknown>>(
  method: string,
  request: object,
  credential: string = stack.apiKey,
): Promise<T> {
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
  const { code, reason, fields } = await detailedFailureOf(fn);
  return { code, reason, fields };
}
