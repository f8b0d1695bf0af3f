import { mkdirSync } from "node:fs";
import { request } from "node:https";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startMongoDouble } from "@roster/mongo-double";
import { readBackendEnvironment, type BackendEnvironment } from "./config.js";

export interface MongoBackendOptions {
  /** `start` keeps mongod's data under `.data/mongod`; `test` and `bench` use throw-away data. */
  purpose: "start" | "test" | "bench";
  /** Overrides the persistent data directory used for `start`. */
  dataDir?: string;
  /** Where the double keeps its data; memory only when omitted. For `start`, ROSTER_DOUBLE_DATA_DIR overrides it ("off": memory). */
  doubleDataDir?: string;
  log?: (line: string) => void;
  /** Bound on starting a local mongod (a first run downloads MongoDB). */
  timeoutMs?: number;
}

export interface MongoBackend {
  kind: "uri" | "mongod" | "double";
  uri: string;
  stop(): Promise<void>;
}

const REACHABILITY_TIMEOUT_MS = 3_000;
const DEFAULT_MONGOD_TIMEOUT_MS = 180_000;
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** Whether the MongoDB download host answers at all; an offline machine fails this in seconds. */
function reachable(url: string, timeoutMs: number): Promise<boolean> {
  return new Promise((done) => {
    try {
      const req = request(url, { method: "HEAD", timeout: timeoutMs }, (res) => {
        res.resume();
        done(true);
      });
      req.on("timeout", () => req.destroy());
      req.on("error", () => done(false));
      req.end();
    } catch {
      done(false);
    }
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A local mongod through mongodb-memory-server, or undefined when it cannot be had quickly. */
async function startLocalMongod(
  options: MongoBackendOptions,
  env: BackendEnvironment,
  log: (line: string) => void,
): Promise<MongoBackend | undefined> {
  const { MongoMemoryServer, DryMongoBinary } = await import("mongodb-memory-server");
  const cached =
    env.systemBinary ?? (await DryMongoBinary.locateBinary(DryMongoBinary.getEnsuredOptions()).catch(() => undefined));
  if (!cached && !(await reachable(env.downloadUrl, REACHABILITY_TIMEOUT_MS))) {
    log(`mongodb-memory-server: ${env.downloadUrl} is unreachable and no mongod binary is available`);
    return undefined;
  }
  const persistent = options.purpose === "start";
  const dbPath = persistent ? (options.dataDir ?? resolve(REPO_ROOT, ".data/mongod")) : undefined;
  if (dbPath) mkdirSync(dbPath, { recursive: true });
  const server = new MongoMemoryServer({ instance: { ...(dbPath ? { dbPath } : {}), storageEngine: "wiredTiger" } });
  try {
    await withTimeout(server.start(), options.timeoutMs ?? DEFAULT_MONGOD_TIMEOUT_MS, "starting mongod");
  } catch (error) {
    log(`mongodb-memory-server: ${error instanceof Error ? error.message : String(error)}`);
    void server.stop({ doCleanup: true, force: true }).catch(() => undefined);
    return undefined;
  }
  return {
    kind: "mongod",
    uri: server.getUri(),
    stop: async () => {
      await server.stop({ doCleanup: !persistent, force: false });
    },
  };
}

/**
 * Chooses where MongoDB comes from: MONGODB_URI, else a local mongod through
 * mongodb-memory-server, else the in-process double. Always logs the choice.
 */
export async function selectMongoBackend(options: MongoBackendOptions): Promise<MongoBackend> {
  const log = options.log ?? ((line: string) => console.log(line));
  const env = readBackendEnvironment();
  if (env.mongodbUri) {
    log("MongoDB backend: MONGODB_URI");
    return { kind: "uri", uri: env.mongodbUri, stop: async () => undefined };
  }
  const mongod = await startLocalMongod(options, env, log).catch((error: unknown) => {
    log(`mongodb-memory-server: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  });
  if (mongod) {
    log(`MongoDB backend: local mongod (mongodb-memory-server) at ${mongod.uri}`);
    return mongod;
  }
  const configured = options.purpose === "start" ? env.doubleDataDir : undefined;
  const dataDir = configured === "off" ? undefined : (configured ?? options.doubleDataDir);
  const double = await startMongoDouble(dataDir === undefined ? {} : { dataDir });
  // The services reach it over its Unix domain socket where it has one: cheaper per command than loopback TCP.
  const uri = double.socketUri ?? double.uri;
  const where =
    double.dataFile === undefined
      ? "WARNING: in memory only, nothing is persisted"
      : `data in ${double.dataFile}; delete ${dataDir} to start empty, ROSTER_DOUBLE_DATA_DIR=off for memory only`;
  log(`MongoDB backend: in-process MongoDB double at ${uri} (${where})`);
  return { kind: "double", uri, stop: () => double.close() };
}
