// Both services of their own, on the shared database server but in databases
// and with keys of their own, for tests whose expected output names users such as "ada".
import { startStack, type Stack } from "@roster/dev-stack";
import type { ReadmePorts } from "./readme.js";
import type { StackInfo } from "./stack-info.js";

export async function startOwnStack(shared: StackInfo): Promise<{ stack: Stack; ports: ReadmePorts }> {
  const stack = await startStack({ purpose: "test", mongodbUri: shared.mongodbUri });
  const { userGrpc, userHttp, tokenGrpc, tokenHttp } = stack.ports;
  return { stack, ports: { user: { grpc: userGrpc, http: userHttp }, token: { grpc: tokenGrpc, http: tokenHttp } } };
}
