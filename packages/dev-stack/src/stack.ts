import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { selectMongoBackend } from "./backend-selection.js";
import { freePort } from "./free-port.js";
import { startServiceProcess, type ExitStatus, type ServiceProcess } from "./service-process.js";

export type ServiceName = "user-service" | "token-service";

export interface StackPorts {
  userGrpc: number;
  userHttp: number;
  tokenGrpc: number;
  tokenHttp: number;
}

/** TLS for both services: PEM files passed as ROSTER_TLS_*; the services then call each other over https://. */
export interface StackTls {
  certFile: string;
  keyFile: string;
  /** Verifies the other service and client certificates; the system's roots verify the other service without it. */
  caFile?: string;
  clientAuth?: string;
}

export interface StackOptions {
  purpose: "start" | "test" | "bench";
  /** Where the in-process double keeps its data when it is the backend selected; memory only when omitted. */
  doubleDataDir?: string;
  /** A MongoDB that is already running (another stack's, say), instead of selecting a backend. */
  mongodbUri?: string;
  tls?: StackTls;
  /** Fixed ports; free ones are chosen when omitted. */
  ports?: StackPorts;
  /** Management and service keys; random ones when omitted. */
  apiKey?: string;
  serviceKey?: string;
  /** Encrypts token-service's signing keys at rest; random when omitted (fine for throw-away databases). */
  signingKeySecret?: string;
  /** Extra environment for both services (overrides the stack's own). */
  env?: Record<string, string>;
  log?: (line: string) => void;
  onServiceLine?: (service: ServiceName, line: string) => void;
  /** Hears of a service that exited while the stack was not stopping. */
  onServiceExit?: (service: ServiceName, status: ExitStatus) => void;
}

export interface Stack {
  backend: { kind: "uri" | "mongod" | "double"; uri: string };
  apiKey: string;
  serviceKey: string;
  ports: StackPorts;
  services: Record<ServiceName, ServiceProcess>;
  /** The environment a service was started with, to start another copy of it. */
  envOf(name: ServiceName): Record<string, string>;
  start(name: ServiceName): Promise<ServiceProcess>;
  stop(): Promise<void>;
}

export function randomKey(prefix: string): string {
  return `${prefix}${randomBytes(24).toString("base64url")}`;
}

const require = createRequire(import.meta.url);

/**
 * Node flags every service starts with (the image sets the same): a 32 MiB young generation.
 * A call allocates a few hundred KB of short-lived objects (driver documents, response
 * buffers); with Node's default semi-space, scavenges took 15–25% of a search's CPU. The root
 * scripts that start a process holding the embedded double pass the same flag on its command line.
 */
export const serviceNodeOptions = "--max-semi-space-size=32";

/** The compiled entry point (dist/main.js) of a service. */
export function serviceEntry(name: ServiceName): string {
  return join(dirname(require.resolve(`@roster/${name}`)), "main.js");
}

/** Starts a MongoDB backend (see selectMongoBackend) and both services as child processes. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const log = options.log ?? (() => {});
  const backend =
    options.mongodbUri === undefined
      ? await selectMongoBackend({
          purpose: options.purpose,
          log,
          ...(options.doubleDataDir === undefined ? {} : { doubleDataDir: options.doubleDataDir }),
        })
      : { kind: "uri" as const, uri: options.mongodbUri, stop: async () => undefined };
  const ports = options.ports ?? {
    userGrpc: await freePort(),
    userHttp: await freePort(),
    tokenGrpc: await freePort(),
    tokenHttp: await freePort(),
  };
  const apiKey = options.apiKey ?? randomKey("roster_key_");
  const serviceKey = options.serviceKey ?? randomKey("roster_svc_");
  // Tests get databases of their own so they never touch a developer's data.
  const suffix = options.purpose === "start" ? "" : `_${options.purpose}_${randomBytes(4).toString("hex")}`;
  const tls = options.tls;
  const scheme = tls === undefined ? "http" : "https";
  const shared = {
    ...(tls === undefined
      ? {}
      : {
          ROSTER_TLS_CERT_FILE: tls.certFile,
          ROSTER_TLS_KEY_FILE: tls.keyFile,
          ...(tls.caFile === undefined ? {} : { ROSTER_TLS_CA_FILE: tls.caFile }),
          ...(tls.clientAuth === undefined ? {} : { ROSTER_TLS_CLIENT_AUTH: tls.clientAuth }),
        }),
    MONGODB_URI: backend.uri,
    ROSTER_HOST: "127.0.0.1",
    ROSTER_API_KEYS: apiKey,
    ROSTER_SERVICE_KEYS: serviceKey,
    ROSTER_SERVICE_KEY: serviceKey,
    USER_SERVICE_URL: `${scheme}://127.0.0.1:${ports.userGrpc}`,
    TOKEN_SERVICE_URL: `${scheme}://127.0.0.1:${ports.tokenGrpc}`,
    ROSTER_JWKS_URL: `${scheme}://127.0.0.1:${ports.tokenHttp}/.well-known/jwks.json`,
    USER_SERVICE_DATABASE: `roster_users${suffix}`,
    TOKEN_SERVICE_DATABASE: `roster_tokens${suffix}`,
    ROSTER_SIGNING_KEY_SECRET: options.signingKeySecret ?? randomKey("roster_sks_"),
  };
  // The services' default young generation, ahead of whatever NODE_OPTIONS the caller sets (a later flag wins).
  const nodeOptions = {
    NODE_OPTIONS: [serviceNodeOptions, options.env?.NODE_OPTIONS ?? process.env.NODE_OPTIONS].filter(Boolean).join(" "),
  };
  const envs: Record<ServiceName, Record<string, string>> = {
    "user-service": {
      ...shared,
      USER_SERVICE_PORT: String(ports.userGrpc),
      USER_SERVICE_HTTP_PORT: String(ports.userHttp),
      ...options.env,
      ...nodeOptions,
    },
    "token-service": {
      ...shared,
      TOKEN_SERVICE_PORT: String(ports.tokenGrpc),
      TOKEN_SERVICE_HTTP_PORT: String(ports.tokenHttp),
      ...options.env,
      ...nodeOptions,
    },
  };
  let stopping = false;
  const start = async (name: ServiceName) => {
    const service = await startServiceProcess({
      name,
      entry: serviceEntry(name),
      env: envs[name],
      onLine: options.onServiceLine && ((line) => options.onServiceLine?.(name, line)),
      // `npm start` stops its services itself; a terminal's Ctrl-C on top would cut their drain short.
      detached: options.purpose === "start",
    });
    void service.exited.then((status) => {
      if (!stopping) options.onServiceExit?.(name, status);
    });
    return service;
  };
  let services: Record<ServiceName, ServiceProcess>;
  try {
    const [user, token] = await Promise.all([start("user-service"), start("token-service")]);
    services = { "user-service": user, "token-service": token };
  } catch (err) {
    await backend.stop();
    throw err;
  }
  return {
    backend: { kind: backend.kind, uri: backend.uri },
    apiKey,
    serviceKey,
    ports,
    services,
    envOf: (name) => ({ ...envs[name] }),
    async start(name) {
      services[name] = await start(name);
      return services[name];
    },
    async stop() {
      stopping = true;
      await Promise.all(Object.values(services).map((s) => s.stop()));
      await backend.stop();
    },
  };
}
