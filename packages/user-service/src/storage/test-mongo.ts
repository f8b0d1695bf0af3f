import { MongoClient, type Db } from "mongodb";
import { startMongoDouble, type MongoDouble } from "@roster/mongo-double";
import { afterAll, beforeAll } from "vitest";

/** A database for one test file: on MONGODB_URI when set (a real server), else on the in-process double. */
export interface TestDb {
  readonly db: Db;
  readonly isDouble: boolean;
}

export function useTestDb(name: string): TestDb {
  let double: MongoDouble | undefined;
  let client: MongoClient | undefined;
  const dbName = `${name}_${process.pid}`;
  beforeAll(async () => {
    const uri = process.env.MONGODB_URI;
    if (uri === undefined || uri === "") double = await startMongoDouble();
    client = new MongoClient(uri || double!.uri, { serverSelectionTimeoutMS: 5_000 });
    await client.connect();
    await client.db(dbName).dropDatabase();
  });
  afterAll(async () => {
    await client?.db(dbName).dropDatabase();
    await client?.close();
    await double?.close();
  });
  return {
    get db() {
      return client!.db(dbName);
    },
    get isDouble() {
      return double !== undefined;
    },
  };
}
