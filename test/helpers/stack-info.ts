import { inject } from "vitest";

/** What the global setup tells every test about the running stack. */
export interface StackInfo {
  apiKey: string;
  serviceKey: string;
  mongodbUri: string;
  backend: "uri" | "mongod" | "double";
  user: { grpc: number; http: number };
  token: { grpc: number; http: number };
  env: Record<"user-service" | "token-service", Record<string, string>>;
}

declare module "vitest" {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}

export function stackInfo(): StackInfo {
  return inject("stack");
}
