import { MongoClient } from "mongodb";
import { startMongoDouble, type MongoDouble } from "@roster/mongo-double";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestMongo } from "./testing.js";

// A deployment announced through MONGODB_URI, as a run against a real mongod does.
let deployment: MongoDouble;
let previous: string | undefined;
beforeAll(async () => {
  deployment = await startMongoDouble();
  previous = process.env.MONGODB_URI;
  process.env.MONGODB_URI = deployment.uri;
});
afterAll(async () => {
  if (previous === undefined) delete process.env.MONGODB_URI;
  else process.env.MONGODB_URI = previous;
  await deployment.close();
});

// Registered after the hook above, so it starts with MONGODB_URI set.
const mongo = useTestMongo();

describe("token-service's storage tests", () => {
  it("when MONGODB_URI is set then they run on that deployment", async () => {
    await mongo.db.collection("probes").insertOne({ probe: true });
    const client = await MongoClient.connect(deployment.uri, { serverSelectionTimeoutMS: 5_000 });
    try {
      expect(await client.db(mongo.db.databaseName).collection("probes").countDocuments({ probe: true })).toBe(1);
    } finally {
      await client.close();
    }
  });
});
