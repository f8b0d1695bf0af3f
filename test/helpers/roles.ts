import { bearer, plainClient, unary } from "./plain-grpc.js";
import { stackInfo } from "./stack-info.js";

const stack = stackInfo();

/** The plain gRPC RoleService client and unary calls with the management key. */
export const roleClient = plainClient(
  "roster/user/v1/role_service.proto",
  "roster.user.v1.RoleService",
  stack.user.grpc,
);

export function callRoles<T = Record<string, unknown>>(
  method: string,
  request: object,
  credential: string = stack.apiKey,
): Promise<T> {
  return unary<T>(roleClient, method, request, bearer(credential));
}

export interface RoleReply {
  role: { id: string; name: string; description: string; permissions: string[] };
}
