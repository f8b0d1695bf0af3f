// Times updates of one document over and over in a collection of 100,000 with four unique indexes
// (the users collection's shape): 6 batches of 5,000 `updateOne`s of fields no index reads, as a
// sign-in or a failed one updates its user, then 6 of its email changed back and forth. Each batch
// should take as long as the first.
// `node dist/bench-updates.js [path of a server.js to measure]`.
import { MongoClient } from "mongodb";
import type * as serverApi from "./server.js";

const serverModule = process.argv[2] ?? "./server.js";
const { startMongoDouble } = (await import(serverModule)) as typeof serverApi;
const TOTAL = 100_000;
const BATCHES = 6;
const UPDATES = 5_000;

const server = await startMongoDouble();
const client = new MongoClient(server.uri);
try {
  const users = client.db("bench").collection<{ _id: string } & Record<string, unknown>>("users");
  const whenString = (field: string) => ({ [field]: { $type: "string" } });
  await users.createIndexes([
    { key: { usernameKey: 1 }, name: "username", unique: true, partialFilterExpression: whenString("usernameKey") },
    { key: { emailKey: 1 }, name: "email", unique: true, partialFilterExpression: whenString("emailKey") },
    { key: { phone: 1 }, name: "phone", unique: true, partialFilterExpression: whenString("phone") },
    {
      key: { "identities.target": 1, "identities.providerUserId": 1 },
      name: "identity",
      unique: true,
      partialFilterExpression: whenString("identities.target"),
    },
  ]);
  for (let offset = 0; offset < TOTAL; offset += 1_000) {
    await users.insertMany(
      Array.from({ length: 1_000 }, (_, i) => {
        const n = offset + i;
        return {
          _id: `usr_${n}`,
          usernameKey: `user${n}`,
          emailKey: `user${n}@example.com`,
          phone: `+4930${String(n).padStart(8, "0")}`,
          name: `User ${n}`,
          failedAttempts: { count: 0 },
        };
      }),
    );
  }
  const timed = async (what: string, update: (n: number) => Record<string, unknown>) => {
    const times: string[] = [];
    for (let batch = 0; batch < BATCHES; batch++) {
      const started = performance.now();
      for (let n = 0; n < UPDATES; n++) await users.updateOne({ _id: "usr_7" }, update(n));
      times.push((((performance.now() - started) / UPDATES) * 1000).toFixed(1));
    }
    console.log(`µs per update of one user (${what}), by batch of ${UPDATES}: ${times.join(", ")}`);
  };
  await timed("fields no index reads", (n) => ({
    $set: { lastSignInTime: new Date(), "failedAttempts.count": n },
    $unset: { lockUntil: "" },
  }));
  // The same unique key freed and taken again every other update.
  await timed("email changed back and forth", (n) => ({
    $set: { emailKey: n % 2 === 0 ? "a@example.com" : "b@example.com" },
  }));
} finally {
  await client.close();
  await server.close();
}
