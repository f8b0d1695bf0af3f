// Extra service processes beside the shared stack: same database and secrets,
// on free ports, with a few settings of their own (another audience, issuer,
// token lifetime, cap, time limit, database or log level).
import { freePort, serviceEntry, startServiceProcess, type ServiceProcess } from "@roster/dev-stack";
import type { Ports } from "./tokens.js";
import type { StackInfo } from "./stack-info.js";

/** A user-service of its own on the stack's settings, with `env` on top. */
export async function startExtraUserService(
  stack: StackInfo,
  env: Record<string, string> = {},
): Promise<ServiceProcess> {
  return startServiceProcess({
    name: "user-service",
    entry: serviceEntry("user-service"),
    env: {
      ...stack.env["user-service"],
      USER_SERVICE_PORT: String(await freePort()),
      USER_SERVICE_HTTP_PORT: String(await freePort()),
      ...env,
    },
  });
}

export interface ExtraTokenService {
  /** The shared user-service and this token-service. */
  ports: Ports;
  stop(): Promise<void>;
}

/** A token-service of its own that signs with the keys the stack publishes (same database and secret). */
export async function startExtraTokenService(
  stack: StackInfo,
  env: Record<string, string>,
): Promise<ExtraTokenService> {
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

/** `name` as a process of its own with exactly `env`, listening on two free ports. */
export async function startServiceOnFreePorts(
  name: "user-service" | "token-service",
  env: Record<string, string>,
): Promise<ServiceProcess> {
  const prefix = name === "user-service" ? "USER" : "TOKEN";
  return startServiceProcess({
    name,
    entry: serviceEntry(name),
    env: {
      ...env,
      [`${prefix}_SERVICE_PORT`]: String(await freePort()),
      [`${prefix}_SERVICE_HTTP_PORT`]: String(await freePort()),
    },
  });
}
