// Helpers for the token tests: ready clients, users with permissions, and a
// private user-service + token-service pair for stop/start scenarios.
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll } from "vitest";
import { ConnectError } from "@connectrpc/connect";
import {
  closeClient,
  createRoleServiceClient,
  createTokenServiceClient,
  createUserServiceClient,
  BadRequestSchema,
  ErrorInfoSchema,
  type ClientTls,
  type UserLog,
} from "@roster/client";
import { freePort, startServiceProcess, type ServiceProcess } from "@roster/dev-stack";
import { stackInfo, type StackInfo } from "./stack-info.js";

export interface Ports {
  user: { grpc: number; http: number };
  token: { grpc: number; http: number };
}

export function rosterClients(ports: Ports, credential: string, tls?: ClientTls) {
  const tokens = createTokenServiceClient({
    transport: "grpc-js",
    address: `127.0.0.1:${ports.token.grpc}`,
    credential,
    tls,
  });
  const users = createUserServiceClient({
    transport: "grpc-js",
    address: `127.0.0.1:${ports.user.grpc}`,
    credential,
    tls,
  });
  const roles = createRoleServiceClient({
    transport: "grpc-js",
    address: `127.0.0.1:${ports.user.grpc}`,
    credential,
    tls,
  });
  return { tokens, users, roles, close: () => [tokens, users, roles].forEach(closeClient) };
}

export type RosterClients = ReturnType<typeof rosterClients>;

export function uniqueName(prefix: string): string {
  return `${prefix}${randomBytes(5).toString("hex")}`;
}

/** A new user holding a role with `permissions`. */
export async function userWithPermissions(clients: RosterClients, permissions: string[]): Promise<string> {
  const { user } = await clients.users.createUser({ username: uniqueName("u") });
  if (user === undefined) throw new Error("CreateUser returned no user");
  if (permissions.length > 0) {
    const { role } = await clients.roles.createRole({ role: { name: uniqueName("role-"), permissions } });
    await clients.roles.assignUserRoles({ userId: user.id, roleIds: [role?.id ?? ""] });
  }
  return user.id;
}

/** A new PAT's secret and id. */
export async function newPat(
  clients: RosterClients,
  userId: string,
  scopes: string[] = [],
): Promise<{ secret: string; id: string }> {
  const created = await clients.tokens.createPersonalAccessToken({ userId, name: uniqueName("pat-"), scopes });
  return { secret: created.secret, id: created.personalAccessToken?.id ?? "" };
}

/** `CODE/REASON` of a failed call, or "OK"; `more` appends what else the test compares, after a space. */
export async function outcome(call: () => Promise<unknown>, more?: (error: ConnectError) => string): Promise<string> {
  try {
    await call();
    return "OK";
  } catch (err) {
    const error = ConnectError.from(err);
    const reason = error.findDetails(ErrorInfoSchema)[0]?.reason ?? "";
    return more === undefined ? `${error.code}/${reason}` : `${error.code}/${reason} ${more(error)}`;
  }
}

/** The code, ErrorInfo reason and BadRequest field names of a call that must fail. */
export async function refusalOf(
  call: () => Promise<unknown>,
): Promise<{ code: number; reason: string; fields: string[] }> {
  try {
    await call();
  } catch (err) {
    const error = ConnectError.from(err);
    const reason = error.findDetails(ErrorInfoSchema)[0]?.reason ?? "";
    const fields = error.findDetails(BadRequestSchema).flatMap((bad) => bad.fieldViolations.map((v) => v.field));
    return { code: error.code, reason, fields };
  }
  throw new Error("expected the call to fail");
}

const entry = (pkg: string) => fileURLToPath(new URL("./main.js", import.meta.resolve(pkg)));

/**
 * A user-service + token-service pair on fresh databases of the shared MongoDB,
 * restartable one by one, with `env` added to both services' environment.
 */
export async function startPrivatePair(stack: StackInfo = stackInfo(), env: Record<string, string> = {}) {
  const ports: Ports = {
    user: { grpc: await freePort(), http: await freePort() },
    token: { grpc: await freePort(), http: await freePort() },
  };
  const suffix = randomBytes(4).toString("hex");
  const shared = {
    USER_SERVICE_URL: `http://127.0.0.1:${ports.user.grpc}`,
    TOKEN_SERVICE_URL: `http://127.0.0.1:${ports.token.grpc}`,
    USER_SERVICE_DATABASE: `roster_users_pair_${suffix}`,
    TOKEN_SERVICE_DATABASE: `roster_tokens_pair_${suffix}`,
    ...env,
  };
  const envs = {
    "user-service": {
      ...stack.env["user-service"],
      ...shared,
      USER_SERVICE_PORT: String(ports.user.grpc),
      USER_SERVICE_HTTP_PORT: String(ports.user.http),
    },
    "token-service": {
      ...stack.env["token-service"],
      ...shared,
      TOKEN_SERVICE_PORT: String(ports.token.grpc),
      TOKEN_SERVICE_HTTP_PORT: String(ports.token.http),
    },
  };
  const start = (name: "user-service" | "token-service") =>
    startServiceProcess({ name, entry: entry(`@roster/${name}`), env: envs[name] });
  const processes: Record<string, ServiceProcess> = {};
  [processes["user-service"], processes["token-service"]] = await Promise.all([
    start("user-service"),
    start("token-service"),
  ]);
  return {
    ports,
    async restart(name: "user-service" | "token-service") {
      await processes[name]?.stop();
      processes[name] = await start(name);
    },
    /** The lines the service's current process has written (its JSON logs). */
    output: (name: "user-service" | "token-service") => processes[name]?.output ?? [],
    stopService: (name: "user-service" | "token-service") => processes[name]?.stop(),
    startService: async (name: "user-service" | "token-service") => {
      processes[name] = await start(name);
    },
    async stop() {
      await Promise.all(Object.values(processes).map((p) => p.stop()));
    },
  };
}

/**
 * A private pair (see startPrivatePair) and API-key clients for the calling
 * test file: started before its tests, stopped after them.
 */
export function usePrivatePair(env: Record<string, string> | (() => Record<string, string>) = {}) {
  const state: { pair?: Awaited<ReturnType<typeof startPrivatePair>>; clients?: RosterClients } = {};
  beforeAll(async () => {
    state.pair = await startPrivatePair(stackInfo(), typeof env === "function" ? env() : env);
    state.clients = rosterClients(state.pair.ports, stackInfo().apiKey);
  }, 60_000);
  afterAll(async () => {
    state.clients?.close();
    await state.pair?.stop();
  }, 30_000);
  const required = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("usePrivatePair: used outside a test");
    return value;
  };
  return {
    get pair() {
      return required(state.pair);
    },
    get clients() {
      return required(state.clients);
    },
  };
}

/** Probes until `done` holds or `timeoutMs` has passed; returns the last value probed. */
export async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    value = await probe();
  }
  return value;
}

/**
 * The user's log entries once at least `count` of them satisfy `match`, or
 * whatever is there after 10 s: token-service's entries arrive through its
 * outbox, moments after the call that wrote them returned.
 */
export async function deliveredLogs(
  clients: RosterClients,
  userId: string,
  match: (log: UserLog) => boolean,
  count = 1,
): Promise<UserLog[]> {
  const matching = async () => (await clients.users.listUserLogs({ userId })).userLogs.filter(match);
  return eventually(matching, (logs) => logs.length >= count, 10_000);
}
