import { parseDataDir } from "@roster/mongo-double";

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

const nonEmpty = (value: string | undefined): string | undefined => (value && value.trim() !== "" ? value.trim() : undefined);

export function readBackendEnvironment(env: NodeJS.ProcessEnv = process.env): BackendEnvironment {
  return Object.freeze({
    mongodbUri: nonEmpty(env.MONGODB_URI),
    systemBinary: nonEmpty(env.MONGOMS_SYSTEM_BINARY),
    downloadUrl: nonEmpty(env.MONGOMS_DOWNLOAD_URL) ?? nonEmpty(env.MONGOMS_DOWNLOAD_MIRROR) ?? "https://fastdl.mongodb.org",
    doubleDataDir: parseDataDir(env.ROSTER_DOUBLE_DATA_DIR),
  });
}
