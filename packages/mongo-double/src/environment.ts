import { resolve } from "node:path";

/** Every environment variable this package reads, read once. */
export interface MongoEnvironment {
  /** A MongoDB deployment for tests to run on instead of a double (see testing.ts). */
  readonly mongodbUri: string | undefined;
  /** Port for the standalone double (`npm run mongo:double`). */
  readonly doublePort: number;
  /** Where the double keeps its data (ROSTER_DOUBLE_DATA_DIR): a directory, "off" for memory only, or unset for the default. */
  readonly doubleDataDir: string | undefined;
}

const nonEmpty = (value: string | undefined): string | undefined =>
  value && value.trim() !== "" ? value.trim() : undefined;

/** Parses a port number; empty means the fallback, anything else invalid is an error. */
export function parsePort(value: string | undefined, fallback: number): number {
  if (nonEmpty(value) === undefined) return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port: ${value}`);
  return port;
}

/** A data directory, resolved against the working directory; "off" (any case) stays "off". */
export function parseDataDir(value: string | undefined): string | undefined {
  const dir = nonEmpty(value);
  if (dir === undefined) return undefined;
  return dir.toLowerCase() === "off" ? "off" : resolve(dir);
}

export function readEnvironment(env: NodeJS.ProcessEnv = process.env): MongoEnvironment {
  return Object.freeze({
    mongodbUri: nonEmpty(env.MONGODB_URI),
    doublePort: parsePort(env.MONGO_DOUBLE_PORT, 27017),
    doubleDataDir: parseDataDir(env.ROSTER_DOUBLE_DATA_DIR),
  });
}
