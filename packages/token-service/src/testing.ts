import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach, vi } from "vitest";
import { MongoClient, type Db } from "mongodb";
import { startTestBackend } from "@roster/mongo-double/testing";
import { createCredentialThrottle, createLogger, ensureIndexes } from "@roster/runtime";
import { createKeyEncryption } from "./crypto/key-encryption.js";
import { createKeyIntegrity } from "./crypto/key-integrity.js";
import { createKeyRing, type KeyRing, type KeyRingOptions } from "./crypto/signing-keys.js";
import type { AuditTrail } from "./domain/audit-trail.js";
import type { PatLogEntry, UserDirectory, UserSummary } from "./domain/user-directory.js";
import { tokenServiceIndexes } from "./storage/indexes.js";
import { createSigningKeyRepository } from "./storage/signing-key-repository.js";

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

/** A user-service stand-in: users, permissions and token epochs by id, and the log entries written. */
export function fakeUserDirectory(): UserDirectory & {
  users: Map<string, UserSummary>;
  permissions: Map<string, string[]>;
  tokenEpochs: Map<string, number>;
  logs: PatLogEntry[];
  failLogs: boolean;
  appendLog(entry: PatLogEntry): Promise<void>;
} {
  const directory = {
    users: new Map<string, UserSummary>(),
    permissions: new Map<string, string[]>(),
    tokenEpochs: new Map<string, number>(),
    logs: [] as PatLogEntry[],
    failLogs: false,
    async findUser(userId: string) {
      return directory.users.get(userId);
    },
    async accessOf(userId: string) {
      const user = directory.users.get(userId);
      if (user === undefined) return undefined;
      return {
        ...user,
        tokenEpoch: directory.tokenEpochs.get(userId) ?? 0,
        permissions: directory.permissions.get(userId) ?? [],
      };
    },
    async appendLog(entry: PatLogEntry) {
      if (directory.failLogs) throw new Error("user-service is down");
      directory.logs.push(entry);
    },
    async appendLogs(entries: readonly { entry: PatLogEntry }[]) {
      for (const { entry } of entries) await directory.appendLog(entry);
    },
  };
  return directory;
}

/**
 * An audit trail that writes straight to `users.logs`: entries appear at once,
 * and `failLogs` stands for an outbox that cannot be written.
 */
export function directAuditTrail(users: ReturnType<typeof fakeUserDirectory>): AuditTrail {
  return {
    record: (entry) => users.appendLog(entry),
    async around(entry, mutate, details) {
      if (users.failLogs) throw new Error("the outbox is down");
      const result = await mutate(`aud_direct_${users.logs.length}`);
      if (result !== undefined) users.logs.push({ ...entry, payload: { ...entry.payload, ...details?.(result) } });
      return result;
    },
    // Entries are logged as their mutations return: none is ever left pending.
    async markHappened() {},
  };
}

export const silentLogger = createLogger("token-service-test", "silent");

/** A key ring over `db`, sealed and MAC'd with `secret` (a fixed one unless given); any other option may be overridden. */
export function testKeyRing(db: Db, options: Partial<KeyRingOptions> & { secret?: string } = {}): KeyRing {
  const { secret = "0123456789abcdef0123456789abcdef", ...rest } = options;
  return createKeyRing({
    repository: createSigningKeyRepository(db),
    encryption: createKeyEncryption(secret),
    integrity: createKeyIntegrity(secret),
    accessTokenTtlSeconds: 900,
    logger: silentLogger,
    ...rest,
  });
}

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

/** Where test calls come from. */
export const testOrigin = { address: "10.0.0.1", method: "roster.token.v1.TokenService/ExchangePersonalAccessToken" };

/** A throttle that never refuses and reports nowhere. */
export const unlimitedThrottle = createCredentialThrottle(
  "pat",
  { perAddress: 0, perTarget: 0 },
  { record: () => undefined },
);

/**
 * The Map deletions and insertions `use` makes, anywhere: a cache hit should make none. A Map keeps a
 * deleted entry in its key's hash chain until it is rehashed, so refreshing a busy entry by delete
 * and set made each use of it walk all its earlier ones.
 */
export async function mapWritesDuring(use: () => Promise<void>): Promise<{ deletes: number; sets: number }> {
  const deletes = vi.spyOn(Map.prototype, "delete");
  const sets = vi.spyOn(Map.prototype, "set");
  try {
    await use();
    return { deletes: deletes.mock.calls.length, sets: sets.mock.calls.length };
  } finally {
    deletes.mockRestore();
    sets.mockRestore();
  }
}
