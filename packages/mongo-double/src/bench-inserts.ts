// Measures 100,000 inserts (batches of 1,000) into a collection with three unique indexes.
import { MongoClient } from "mongodb";
import { startMongoDouble } from "./server.js";

const TOTAL = 100_000;
const BATCH = 1_000;

const server = await startMongoDouble();
const client = new MongoClient(server.uri);
try {
  const collection = client.db("bench").collection("users");
  await collection.createIndexes([
    { key: { email: 1 }, name: "email_1", unique: true },
    { key: { username: 1 }, name: "username_1", unique: true },
    {
      key: { externalId: 1 },
      name: "externalId_1",
      unique: true,
      partialFilterExpression: { externalId: { $exists: true } },
    },
  ]);
  const started = performance.now();
  for (let offset = 0; offset < TOTAL; offset += BATCH) {
    const docs = Array.from({ length: BATCH }, (_, i) => {
      const n = offset + i;
      return {
        email: `user${n}@example.com`,
        username: `user${n}`,
        externalId: `ext-${n}`,
        displayName: `User ${n}`,
        roles: ["member"],
        createdAt: new Date(),
      };
    });
    await collection.insertMany(docs);
  }
  const seconds = (performance.now() - started) / 1000;
  const count = await collection.countDocuments();
  console.log(
    `${count} inserts with three unique indexes in ${seconds.toFixed(2)} s (${Math.round(TOTAL / seconds)} docs/s)`,
  );
} finally {
  await client.close();
  await server.close();
}
