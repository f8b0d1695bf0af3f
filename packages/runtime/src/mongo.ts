import { MongoClient, MongoServerError, type Db, type IndexDescription } from "mongodb";
import type { Logger } from "./logging.js";
import type { HealthState } from "./health.js";
import { ServingStatus } from "./health.js";

/**
 * Connects with bounded timeouts: with the database gone, an operation fails
 * after `timeoutMs` of server selection (plus at most `timeoutMs` to open a
 * connection) instead of the driver's 30 s, and the call answers UNAVAILABLE.
 */
export async function connectMongo(
  uri: string,
  appName: string,
  options: { timeoutMs?: number } = {},
): Promise<MongoClient> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const client = new MongoClient(uri, {
    appName,
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    retryWrites: true,
  });
  await client.connect();
  return client;
}

/** The key pattern and value of a unique-index violation (code 11000), if that is what `err` is. */
export function duplicateKeyOf(
  err: unknown,
): { keyPattern: Record<string, unknown>; keyValue: Record<string, unknown> } | undefined {
  if (!(err instanceof MongoServerError) || err.code !== 11000) return undefined;
  return {
    keyPattern: (err.keyPattern as Record<string, unknown> | undefined) ?? {},
    keyValue: (err.keyValue as Record<string, unknown> | undefined) ?? {},
  };
}

export interface ReadinessMonitor {
  /** Runs one check now and applies its result. */
  checkNow(): Promise<boolean>;
  stop(): void;
}

/**
 * Keeps the health state in step with the database: SERVING only while the
 * `check` (a ping plus "the indexes exist") succeeds. Transitions are logged.
 */
export function monitorReadiness(options: {
  check: () => Promise<boolean>;
  health: HealthState;
  intervalMs: number;
  logger: Logger;
}): ReadinessMonitor {
  let running: Promise<boolean> | undefined;
  const checkNow = () => {
    running ??= options
      .check()
      .catch((err: unknown) => {
        options.logger.warn({ err: String(err) }, "readiness check failed");
        return false;
      })
      .then((ok) => {
        const was = options.health.isServing();
        options.health.setAll(ok ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
        if (was !== ok) options.logger.info({ serving: ok }, ok ? "serving" : "not serving");
        running = undefined;
        return ok;
      });
    return running;
  };
  const timer = setInterval(() => void checkNow(), options.intervalMs);
  timer.unref();
  return { checkNow, stop: () => clearInterval(timer) };
}

/** The indexes one collection must have; each needs an explicit, stable name. */
export interface CollectionIndexes {
  collection: string;
  indexes: (IndexDescription & { name: string })[];
}

/**
 * Creates every index (idempotent: createIndexes with identical options is a
 * no-op). A TTL index whose expiry changed in the configuration is updated in
 * place with collMod first; createIndexes would refuse it as a conflict.
 */
export async function ensureIndexes(db: Db, specs: readonly CollectionIndexes[]): Promise<void> {
  for (const spec of specs) {
    const collection = db.collection(spec.collection);
    const existing = await collection
      .listIndexes()
      .toArray()
      .catch(() => []);
    for (const index of spec.indexes) {
      const current = existing.find((e) => e.name === index.name);
      if (
        index.expireAfterSeconds !== undefined &&
        current !== undefined &&
        current.expireAfterSeconds !== index.expireAfterSeconds
      ) {
        await db.command({
          collMod: spec.collection,
          index: { name: index.name, expireAfterSeconds: index.expireAfterSeconds },
        });
      }
    }
    await collection.createIndexes(spec.indexes);
  }
}

/** Pings the server and checks that every index still exists (someone may have dropped one). */
export async function indexesPresent(db: Db, specs: readonly CollectionIndexes[]): Promise<boolean> {
  await db.command({ ping: 1 });
  for (const spec of specs) {
    const existing = new Set(
      (
        await db
          .collection(spec.collection)
          .listIndexes()
          .toArray()
          .catch(() => [])
      ).map((i) => i.name as string),
    );
    if (!spec.indexes.every((index) => existing.has(index.name))) return false;
  }
  return true;
}

/**
 * The readiness of a service whose correctness rests on its indexes: the
 * database answers and every index exists. A missing index (dropped by hand,
 * or a database that came back empty) is recreated rather than left to fail
 * every later check; the service is ready again once that succeeds.
 */
export async function ensureIndexesPresent(db: Db, specs: readonly CollectionIndexes[]): Promise<boolean> {
  if (await indexesPresent(db, specs)) return true;
  await ensureIndexes(db, specs);
  return indexesPresent(db, specs);
}
