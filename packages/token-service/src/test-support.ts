import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { MongoClient, type Db } from "mongodb";
import { startTestBackend } from "@roster/mongo-double/testing";
import { createLogger, ensureIndexes } from "@roster/runtime";
import type { PatLogEntry, UserDirectory, UserSummary } from "./domain/user-directory.js";
import { tokenServiceIndexes } from "./storage/indexes.js";

/**
 * The backend under test (MONGODB_URI when set, else a double) with
 * token-service's indexes, one fresh database per call of `db()`; the
 * databases are dropped at `stop()` so a real deployment is left as found.
 */
async function startTestMongo(): Promise<{ db(): Promise<Db>; stop(): Promise<void> }> {
  const { uri, double } = await startTestBackend();
  const client = await MongoClient.connect(uri, { serverSelectionTimeoutMS: 5_000 });
  const created: Db[] = [];
  return {
    async db() {
      const db = client.db(`tokens_${randomBytes(4).toString("hex")}`);
      created.push(db);
      await ensureIndexes(db, tokenServiceIndexes);
      return db;
    },
    async stop() {
      await Promise.all(created.map((db) => db.dropDatabase()));
      await client.close();
      await double?.close();
    },
  };
}

/** A user-service stand-in: users and permissions by id, and the log entries written. */
export function fakeUserDirectory(): UserDirectory & {
  users: Map<string, UserSummary>;
  permissions: Map<string, string[]>;
  logs: PatLogEntry[];
  failLogs: boolean;
} {
  const directory = {
    users: new Map<string, UserSummary>(),
    permissions: new Map<string, string[]>(),
    logs: [] as PatLogEntry[],
    failLogs: false,
    async findUser(userId: string) {
      return directory.users.get(userId);
    },
    async permissionsOf(userId: string) {
      return directory.permissions.get(userId) ?? [];
    },
    async appendLog(entry: PatLogEntry) {
      if (directory.failLogs) throw new Error("user-service is down");
      directory.logs.push(entry);
    },
  };
  return directory;
}

export const silentLogger = createLogger("token-service-test", "silent");

/**
 * A double for the calling test file (started before its tests, stopped after):
 * `db` is a fresh database with token-service's indexes for each test, and
 * `another()` makes one more (a second instance's view, say).
 */
export function useTestMongo(): { readonly db: Db; another(): Promise<Db> } {
  let mongo: Awaited<ReturnType<typeof startTestMongo>> | undefined;
  let current: Db | undefined;
  beforeAll(async () => {
    mongo = await startTestMongo();
  }, 30_000);
  afterAll(() => mongo?.stop());
  beforeEach(async () => {
    current = await mongo!.db();
  });
  return {
    get db() {
      if (current === undefined) throw new Error("useTestMongo: no database outside a test");
      return current;
    },
    another: () => mongo!.db(),
  };
}
