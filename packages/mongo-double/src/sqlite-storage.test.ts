import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Decimal128, Double, Int32, Long, MongoClient } from "mongodb";
import { afterEach, describe, expect, it } from "vitest";
import { startMongoDouble, type MongoDouble } from "./server.js";

let dataDir: string | undefined;
const open: { double: MongoDouble; client: MongoClient }[] = [];

afterEach(async () => {
  for (const { double, client } of open.splice(0)) {
    await client.close();
    await double.close();
  }
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
});

/** Documents with ids of any BSON type. */
const collection = (client: MongoClient, db: string, name: string) =>
  client.db(db).collection<{ _id: unknown; [field: string]: unknown }>(name);

async function start(dir: string): Promise<MongoClient> {
  const double = await startMongoDouble({ dataDir: dir });
  // Raw numbers, so the test sees the BSON type each value comes back with.
  const client = new MongoClient(double.uri, { promoteValues: false });
  open.push({ double, client });
  return client;
}

async function restart(dir: string): Promise<MongoClient> {
  const { double, client } = open.pop()!;
  await client.close();
  await double.close();
  return start(dir);
}

describe("double with a data directory", () => {
  it("when it is restarted then documents keep their values, BSON types and natural order, and drops and collMod stay done", async () => {
    dataDir = mkdtempSync(join(tmpdir(), "double-data-"));
    let client = await start(dataDir);
    const db = client.db("app");
    const typed = {
      _id: new Long(7),
      int: new Int32(1),
      long: Long.fromString("9007199254740993"),
      whole: new Double(2),
      fraction: new Double(2.5),
      decimal: Decimal128.fromString("1.10"),
      at: new Date(Date.UTC(2026, 0, 2)),
      nested: { list: [new Int32(1), "two", null] },
    };
    await collection(client, "app", "typed").insertMany([
      { _id: new Int32(3), n: new Int32(0) },
      typed,
      { _id: "last", n: new Int32(1) },
    ]);
    await collection(client, "app", "typed").updateOne({ _id: new Int32(3) }, { $set: { n: new Int32(5) } });
    await collection(client, "app", "typed").createIndex({ at: 1 }, { expireAfterSeconds: 60, name: "at_ttl" });
    await db.command({ collMod: "typed", index: { name: "at_ttl", expireAfterSeconds: 120 } });
    await collection(client, "app", "typed").createIndex({ int: 1 }, { name: "int_1" });
    await collection(client, "app", "typed").dropIndex("int_1");
    await db.createCollection("empty");
    await collection(client, "app", "dropped").insertOne({ _id: 1 });
    await collection(client, "app", "dropped").drop();
    await collection(client, "gone", "c").insertOne({ _id: 1 });
    await client.db("gone").dropDatabase();

    client = await restart(dataDir);
    const reopened = client.db("app");
    expect(await collection(client, "app", "typed").find().toArray()).toEqual([
      { _id: new Int32(3), n: new Int32(5) },
      typed,
      { _id: "last", n: new Int32(1) },
    ]);
    expect(
      (await collection(client, "app", "typed").indexes()).map(({ name, expireAfterSeconds }) => ({
        name,
        expireAfterSeconds,
      })),
    ).toEqual([
      { name: "_id_", expireAfterSeconds: undefined },
      { name: "at_ttl", expireAfterSeconds: new Int32(120) },
    ]);
    expect((await reopened.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort()).toEqual([
      "empty",
      "typed",
    ]);
    expect((await client.db().admin().listDatabases({ nameOnly: true })).databases.map((d) => d.name)).not.toContain(
      "gone",
    );
  });

  it("when a second server opens a data directory in use then it fails to start and the first keeps serving", async () => {
    dataDir = mkdtempSync(join(tmpdir(), "double-data-"));
    const client = await start(dataDir);
    await collection(client, "app", "c").insertOne({ _id: 1 });
    await expect(startMongoDouble({ dataDir })).rejects.toThrow(/locked/);
    expect(await collection(client, "app", "c").find().toArray()).toEqual([{ _id: new Int32(1) }]);
  });

  it("when the data directory does not exist yet then it is created readable by its owner only", async () => {
    dataDir = mkdtempSync(join(tmpdir(), "double-data-"));
    const dir = join(dataDir, "mongo");
    await start(dir);
    expect((statSync(dir).mode & 0o777).toString(8)).toBe("700");
  });
});
