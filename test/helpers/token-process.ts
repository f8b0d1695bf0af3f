// An extra token-service process beside the shared stack: same database and
// signing-key secret (so it signs with the keys the stack publishes), with a
// few settings of its own: another audience, issuer, token lifetime or cap.
import { freePort, serviceEntry, startServiceProcess } from "@roster/dev-stack";
import type { Ports } from "./tokens.js";
import type { StackInfo } from "./stack-info.js";

export interface ExtraTokenService {
  /** The shared user-service and this token-service. */
  ports: Ports;
  stop(): Promise<void>;
}

export async function startExtraTokenService(stack: StackInfo, env: Record<string, string>): Promise<ExtraTokenService> {
  const token = { grpc: await freePort(), http: await freePort() };
  const process = await startServiceProcess({
    name: "token-service",
    entry: serviceEntry("token-service"),
    env: {
      ...stack.env["token-service"],
      TOKEN_SERVICE_PORT: String(token.grpc),
      TOKEN_SERVICE_HTTP_PORT: String(token.http),
      ...env,
    },
  });
  return {
    ports: { user: stack.user, token },
    async stop() {
      await process.stop();
    },
  };
}
