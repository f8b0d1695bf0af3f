import { parseDataDir } from "@roster/mongo-double";
import type { StackPorts, StackTls } from "./stack.js";

/** The environment that chooses the MongoDB backend, read once. */
export interface BackendEnvironment {
  /** A MongoDB deployment to use instead of starting anything. */
  readonly mongodbUri: string | undefined;
  /** A local mongod binary for mongodb-memory-server (it reads the variable itself too). */
  readonly systemBinary: string | undefined;
  /** Where mongodb-memory-server downloads MongoDB from. */
  readonly downloadUrl: string;
  /** Where the double keeps its data under `npm start` (ROSTER_DOUBLE_DATA_DIR): a directory, "off" for memory only, or unset for the default. */
  readonly doubleDataDir: string | undefined;
}

const nonEmpty = (value: string | undefined): string | undefined =>
  value && value.trim() !== "" ? value.trim() : undefined;

export function readBackendEnvironment(env: NodeJS.ProcessEnv = process.env): BackendEnvironment {
  return Object.freeze({
    mongodbUri: nonEmpty(env.MONGODB_URI),
    systemBinary: nonEmpty(env.MONGOMS_SYSTEM_BINARY),
    downloadUrl:
      nonEmpty(env.MONGOMS_DOWNLOAD_URL) ?? nonEmpty(env.MONGOMS_DOWNLOAD_MIRROR) ?? "https://fastdl.mongodb.org",
    doubleDataDir: parseDataDir(env.ROSTER_DOUBLE_DATA_DIR),
  });
}

/** What `npm start` takes from the environment; each service validates the same variables again when it starts. */
export interface StartEnvironment {
  /** USER_SERVICE_PORT, USER_SERVICE_HTTP_PORT, TOKEN_SERVICE_PORT, TOKEN_SERVICE_HTTP_PORT. */
  readonly ports: StackPorts;
  /** ROSTER_API_KEYS; unset means the development key kept in `.data/`. */
  readonly apiKeys: string | undefined;
  readonly serviceKey: string | undefined;
  readonly signingKeySecret: string | undefined;
  /** Set by ROSTER_TLS_CERT_FILE: both services then serve TLS and call each other over https://. */
  readonly tls: StackTls | undefined;
  /** Where user-service serves the console (ROSTER_CONSOLE_PATH); undefined when ROSTER_CONSOLE is off. */
  readonly consolePath: string | undefined;
}

export function readStartEnvironment(env: NodeJS.ProcessEnv = process.env): StartEnvironment {
  const port = (name: string, fallback: number) => Number(env[name] ?? fallback);
  const certFile = env.ROSTER_TLS_CERT_FILE;
  return Object.freeze({
    ports: {
      userGrpc: port("USER_SERVICE_PORT", 50051),
      userHttp: port("USER_SERVICE_HTTP_PORT", 8051),
      tokenGrpc: port("TOKEN_SERVICE_PORT", 50052),
      tokenHttp: port("TOKEN_SERVICE_HTTP_PORT", 8052),
    },
    apiKeys: env.ROSTER_API_KEYS,
    serviceKey: env.ROSTER_SERVICE_KEY,
    signingKeySecret: env.ROSTER_SIGNING_KEY_SECRET,
    tls:
      certFile === undefined
        ? undefined
        : {
            certFile,
            keyFile: env.ROSTER_TLS_KEY_FILE ?? "",
            caFile: env.ROSTER_TLS_CA_FILE,
            clientAuth: env.ROSTER_TLS_CLIENT_AUTH,
          },
    consolePath:
      env.ROSTER_CONSOLE === "off"
        ? undefined
        : `/${(env.ROSTER_CONSOLE_PATH ?? "console").replace(/^\/+|\/+$/g, "")}/`,
  });
}
