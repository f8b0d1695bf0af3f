import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { MongoClient, MongoServerError, type Collection } from "mongodb";
import { afterEach, describe, expect, it } from "vitest";

const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const BATCH = 20;
const WRITERS = 4;
const KILL_AFTER_BATCHES = 120;

interface UserDoc {
  _id: string;
  batch?: string;
  email?: string;
  v?: number;
  at?: Date;
}

interface Running {
  child: ChildProcess;
  client: MongoClient;
}

let dataDir: string | undefined;
const running: Running[] = [];

afterEach(async () => {
  for (const { child, client } of running.splice(0)) {
    await client.close(true).catch(() => undefined);
    if (child.exitCode === null) child.kill("SIGKILL");
  }
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
});

/** The standalone double as its own process on a free port, keeping its data in `dir`. */
async function startDouble(dir: string): Promise<Running> {
  const child = spawn(process.execPath, [cli, "--data-dir", dir], {
    env: { ...process.env, MONGO_DOUBLE_PORT: "0" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const uri = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const found = line.match(/mongodb:\/\/\S+/);
      if (found) resolve(found[0]);
    });
    child.once("exit", (code) => reject(new Error(`the double exited with ${code}`)));
  });
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5_000, retryWrites: false, maxPoolSize: WRITERS });
  const started = { child, client };
  running.push(started);
  return started;
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

/** What the server acknowledged, per batch of documents inserted by one command. */
interface Acknowledged {
  inserted: Set<string>;
  updated: Set<string>;
  /** Deletions sent: one the kill interrupts may be applied or not, so its batch may be gone or whole. */
  deleting: Set<string>;
  deleted: Set<string>;
}

/** Inserts a batch, then updates all of it, then deletes every third, until the server goes away. */
async function write(users: Collection<UserDoc>, writer: number, acked: Acknowledged): Promise<void> {
  for (let i = 0; ; i++) {
    const batch = `w${writer}-${i}`;
    try {
      await users.insertMany(
        Array.from({ length: BATCH }, (_, k) => ({
          _id: `${batch}-${k}`,
          batch,
          email: `${batch}-${k}@example.com`,
          v: 0,
        })),
      );
      acked.inserted.add(batch);
      await users.updateMany({ batch }, { $set: { v: 1 } });
      acked.updated.add(batch);
      if (i % 3 === 0) {
        acked.deleting.add(batch);
        await users.deleteMany({ batch });
        acked.deleted.add(batch);
      }
    } catch {
      return;
    }
  }
}

describe("double with a data directory, killed with SIGKILL", () => {
  it("when it is killed mid-stream and restarted then every acknowledged write is there, no command half-applied, indexes and TTL kept", async () => {
    dataDir = mkdtempSync(join(tmpdir(), "double-kill-"));
    const first = await startDouble(dataDir);
    const users = first.client.db("app").collection<UserDoc>("users");
    await users.createIndex({ email: 1 }, { unique: true, sparse: true, name: "email_unique" });
    await users.createIndex({ at: 1 }, { expireAfterSeconds: 3600, name: "at_ttl" });
    await users.insertMany([
      { _id: "expired", at: new Date(Date.now() - 7_200_000) },
      { _id: "fresh", at: new Date() },
    ]);

    const acked: Acknowledged = { inserted: new Set(), updated: new Set(), deleting: new Set(), deleted: new Set() };
    const writers = Array.from({ length: WRITERS }, (_, w) => write(users, w, acked));
    await expect
      .poll(() => acked.inserted.size, { timeout: 90_000, interval: 20 })
      .toBeGreaterThanOrEqual(KILL_AFTER_BATCHES);
    await killed(first.child);
    await Promise.all(writers);

    const second = await startDouble(dataDir);
    const reopened = second.client.db("app").collection<UserDoc>("users");
    const docs = await reopened.find({ batch: { $exists: true } }).toArray();
    const byBatch = new Map<string, number[]>();
    for (const doc of docs) byBatch.set(doc.batch!, [...(byBatch.get(doc.batch!) ?? []), doc.v!]);

    const lost = [...acked.inserted].filter(
      (batch) => !acked.deleting.has(batch) && byBatch.get(batch)?.length !== BATCH,
    );
    const notUpdated = [...acked.updated].filter((batch) => byBatch.get(batch)?.some((v) => v !== 1));
    const notDeleted = [...acked.deleted].filter((batch) => byBatch.has(batch));
    // A command the kill interrupted is there whole or not at all, acknowledged or not.
    const halfInserted = [...byBatch].filter(([, values]) => values.length !== BATCH).map(([batch]) => batch);
    const halfUpdated = [...byBatch].filter(([, values]) => new Set(values).size > 1).map(([batch]) => batch);
    expect({ lost, notUpdated, notDeleted, halfInserted, halfUpdated }).toEqual({
      lost: [],
      notUpdated: [],
      notDeleted: [],
      halfInserted: [],
      halfUpdated: [],
    });
    expect(acked.inserted.size).toBeGreaterThanOrEqual(KILL_AFTER_BATCHES);

    const indexes = await reopened.indexes();
    expect(indexes.map(({ name, unique, expireAfterSeconds }) => ({ name, unique, expireAfterSeconds }))).toEqual([
      { name: "_id_", unique: undefined, expireAfterSeconds: undefined },
      { name: "email_unique", unique: true, expireAfterSeconds: undefined },
      { name: "at_ttl", unique: undefined, expireAfterSeconds: 3600 },
    ]);
    const kept = docs.find((doc) => !acked.deleted.has(doc.batch!));
    const duplicate = await reopened
      .insertOne({ _id: "dup", email: `${kept!._id}@example.com` })
      .catch((error: unknown) => error);
    expect(duplicate).toBeInstanceOf(MongoServerError);
    expect((duplicate as MongoServerError).code).toBe(11000);

    expect((await reopened.find({ at: { $exists: true } }).toArray()).map((doc) => doc._id).sort()).toEqual([
      "expired",
      "fresh",
    ]);
    await second.client.db("admin").command({ setParameter: 1, ttlMonitorSleepSecs: 1 });
    await expect
      .poll(async () => (await reopened.find({ at: { $exists: true } }).toArray()).map((doc) => doc._id), {
        timeout: 10_000,
      })
      .toEqual(["fresh"]);
  }, 180_000);
});
