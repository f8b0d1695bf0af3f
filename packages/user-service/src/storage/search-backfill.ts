import type { AnyBulkWriteOperation, Db } from "mongodb";
import { searchFieldsOf, type UserDocument } from "./user-document.js";
import { usersCollection } from "./user-repository.js";

const batchSize = 500;

/**
 * Gives users stored before `searchKeys` existed their search fields (keys
 * and trigrams), so free-text search finds them. Idempotent and safe beside
 * live writes: a user is only written while it still lacks the keys, and
 * every write path sets them. Returns how many users it updated.
 */
export async function backfillSearchFields(db: Db): Promise<number> {
  const users = db.collection<UserDocument>(usersCollection);
  const stale = { searchKeys: { $exists: false } };
  const cursor = users.find(stale, {
    projection: { username: 1, usernameKey: 1, email: 1, emailKey: 1, phone: 1, name: 1, nameKey: 1 },
  });
  let updated = 0;
  let batch: AnyBulkWriteOperation<UserDocument>[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    updated += (await users.bulkWrite(batch, { ordered: false })).modifiedCount;
    batch = [];
  };
  for await (const user of cursor) {
    batch.push({ updateOne: { filter: { _id: user._id, ...stale }, update: { $set: searchFieldsOf(user) } } });
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  return updated;
}
