import { MongoClient, type Collection, type Db, type Document } from "mongodb";
import { afterAll, beforeAll } from "vitest";
import { readEnvironment } from "./environment.js";
import { startMongoDouble, type MongoDouble } from "./server.js";

/** Documents of any shape, with ids of any type. */
export interface AnyDoc extends Document {
  _id?: number | string;
}

/** A database on the backend under test: MONGODB_URI when set (a real mongod), else a double. */
export interface TestBackend {
  readonly client: MongoClient;
  readonly db: Db;
  /** True when running against the double rather than a real server. */
  readonly isDouble: boolean;
  collection(name: string): Collection<AnyDoc>;
}

/** The backend under test: the deployment at MONGODB_URI when set (a real mongod), else a double started here. */
export async function startTestBackend(): Promise<{ uri: string; double: MongoDouble | undefined }> {
  const { mongodbUri } = readEnvironment();
  if (mongodbUri !== undefined) return { uri: mongodbUri, double: undefined };
  const double = await startMongoDouble();
  return { uri: double.uri, double };
}

/**
 * A database for one test file, on the backend under test: connects before the
 * file's tests and drops the database afterwards. Any package's storage tests
 * use it, so they run against a real mongod whenever MONGODB_URI is set. Its client monitors
 * commands, so a test can count what a repository sends (`client.on("commandStarted", …)`).
 */
export function useBackend(dbName: string): TestBackend {
  let double: MongoDouble | undefined;
  let client: MongoClient | undefined;
  beforeAll(async () => {
    const backend = await startTestBackend();
    double = backend.double;
    client = new MongoClient(backend.uri, { serverSelectionTimeoutMS: 5_000, monitorCommands: true });
    await client.connect();
    await client.db(dbName).dropDatabase();
  });
  afterAll(async () => {
    await client?.db(dbName).dropDatabase();
    await client?.close();
    await double?.close();
  });
  return {
    get client() {
      return client!;
    },
    get db() {
      return client!.db(dbName);
    },
    get isDouble() {
      return double !== undefined;
    },
    collection: (name) => client!.db(dbName).collection<AnyDoc>(name),
  };
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Record<string, unknown> & Error> {
  try {
    await promise;
  } catch (error) {
    return error as Record<string, unknown> & Error;
  }
  throw new Error("expected the operation to fail");
}
