import type { TestProject } from "vitest/node";
import { startStack } from "@roster/dev-stack";
import type { StackInfo } from "../helpers/stack-info.js";

/** One stack for the whole run: a MongoDB backend and both services as real processes. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stack = await startStack({ purpose: "test", log: (line) => console.log(line) });
  const info: StackInfo = {
    apiKey: stack.apiKey,
    serviceKey: stack.serviceKey,
    mongodbUri: stack.backend.uri,
    backend: stack.backend.kind,
    user: { grpc: stack.services["user-service"].grpcPort, http: stack.services["user-service"].httpPort },
    token: { grpc: stack.services["token-service"].grpcPort, http: stack.services["token-service"].httpPort },
    env: { "user-service": stack.envOf("user-service"), "token-service": stack.envOf("token-service") },
  };
  project.provide("stack", info);
  return () => stack.stop();
}
