import { LRUCache } from "lru-cache";
import type { Db, Filter } from "mongodb";
import { duplicateKeyOf } from "@roster/runtime";
import { alreadyExists } from "@roster/runtime/domain-error";
import type { PatRecord, PatStore } from "../domain/pat-store.js";
import { shareRoundTrips } from "../domain/shared-round-trips.js";
import { createGroupedInsert } from "./grouped-insert.js";
import { patCollection, tokenServiceIndexes } from "./indexes.js";
import { insertInFreeSlot, type HeldSlot, type TakenSlots } from "./pat-slots.js";
import { createPerKeyQueue } from "./per-key-queue.js";

/** The record as stored: `_id` for `id`, null for an absent time, and the token's slot. */
interface PatDocument extends Omit<PatRecord, "id" | "expireTime" | "lastUseTime"> {
  _id: string;
  expireTime: Date | null;
  lastUseTime: Date | null;
  /** The token's place under its user's cap (see pat-slots.ts); absent on tokens stored before slots existed. */
  slot?: number;
  /** Its creation's audit entry (see PatStore.changeEntryIds); absent on tokens stored before tokens kept it. */
  creationEntryId?: string;
  /** The audit entries of its latest renames and expiry changes, oldest first (see PatStore.changeEntryIds). */
  updateEntryIds?: string[];
}

/**
 * How many update entries a token keeps: a pending one is judged within a minute of its write, so
 * only a token changed more often than this in a minute can lose one before it is judged.
 */
const keptUpdateEntries = 20;

function toRecord(doc: PatDocument): PatRecord {
  return {
    id: doc._id,
    userId: doc.userId,
    name: doc.name,
    secretHash: doc.secretHash,
    hint: doc.hint,
    scopes: doc.scopes,
    createTime: doc.createTime,
    expireTime: doc.expireTime ?? undefined,
    lastUseTime: doc.lastUseTime ?? undefined,
  };
}

function nameTaken(err: unknown): Error {
  const duplicate = duplicateKeyOf(err);
  if (duplicate !== undefined && "name" in duplicate.keyPattern) {
    return alreadyExists("TOKEN_NAME_TAKEN", "the user already has a token with this name", "name");
  }
  return err as Error;
}

/**
 * What creates read of their users' tokens: the slots, through an index led
 * by `userId`, so the read examines those users' tokens only (each at most the
 * cap, plus strays), however many tokens other users hold.
 */
export const slotSurvey = (userIds: readonly string[]) => ({
  filter: { userId: userIds.length === 1 ? userIds[0]! : { $in: [...userIds] } },
  projection: { userId: 1, slot: 1 },
});

/**
 * Users whose slots a repository remembers at most (see SlotStore.recall), as many as the access
 * copy holds by default (a cap's bytes each); the least recently used go first.
 */
export const rememberedUsers = 100_000;

export function createPatRepository(db: Db): PatStore {
  const pats = db.collection<PatDocument>(patCollection);
  const oneUserAtATime = createPerKeyQueue();
  // A user's next create tries a slot free in what its last one saw, and reads only when that was taken meanwhile.
  const slotMemory = new LRUCache<string, TakenSlots>({ max: rememberedUsers });
  // Creates for different users that arrive together read their slots in one find, and insert in one write.
  const slotsOf = shareRoundTrips<string, HeldSlot[]>(async (userIds) => {
    const { filter, projection } = slotSurvey([...new Set(userIds)]);
    const held = new Map<string, HeldSlot[]>();
    for (const { _id, userId, slot } of await pats.find(filter, { projection }).toArray()) {
      const slots = held.get(userId) ?? [];
      slots.push({ _id, slot });
      held.set(userId, slots);
    }
    return userIds.map((userId) => ({ ok: true, value: [...(held.get(userId) ?? [])] }));
  });
  const insertGrouped = createGroupedInsert(
    pats,
    tokenServiceIndexes.find((spec) => spec.collection === patCollection)?.indexes ?? [],
  );
  return {
    insertWithinCap(record, cap, creationEntryId) {
      const { id, expireTime, lastUseTime, ...rest } = record;
      // Creates for one user queue up in this process, so they do not race each other for slots; other instances may still.
      return oneUserAtATime(record.userId, () =>
        insertInFreeSlot(
          {
            held: () => slotsOf(record.userId),
            async move(stray, slot) {
              const filter: Filter<PatDocument> = {
                _id: stray.id,
                slot: stray.slot === undefined ? { $exists: false } : stray.slot,
              };
              await pats.updateOne(filter, { $set: { slot } });
            },
            async insert(slot) {
              try {
                await insertGrouped({
                  _id: id,
                  ...rest,
                  expireTime: expireTime ?? null,
                  lastUseTime: lastUseTime ?? null,
                  slot,
                  creationEntryId,
                });
              } catch (err) {
                throw nameTaken(err);
              }
            },
            recall: () => slotMemory.get(record.userId),
            remember(taken) {
              if (taken === undefined) slotMemory.delete(record.userId);
              else slotMemory.set(record.userId, taken);
            },
          },
          cap,
        ),
      );
    },
    async findBySecretHash(secretHash) {
      const doc = await pats.findOne({ secretHash });
      return doc === null ? undefined : toRecord(doc);
    },
    countForUser(userId) {
      return pats.countDocuments({ userId });
    },
    async listForUser(userId, after, limit) {
      const filter: Filter<PatDocument> =
        after === undefined
          ? { userId }
          : {
              userId,
              $or: [
                { createTime: { $lt: after.createTime } },
                { createTime: after.createTime, _id: { $lt: after.id } },
              ],
            };
      const docs = await pats.find(filter).sort({ createTime: -1, _id: -1 }).limit(limit).toArray();
      return docs.map(toRecord);
    },
    async update(userId, id, changes, entryId) {
      const set: Partial<PatDocument> = {};
      if (changes.name !== undefined) set.name = changes.name;
      if (changes.expireTime !== undefined) set.expireTime = changes.expireTime;
      try {
        const doc = await pats.findOneAndUpdate(
          { _id: id, userId },
          { $set: set, $push: { updateEntryIds: { $each: [entryId], $slice: -keptUpdateEntries } } },
          { returnDocument: "after" },
        );
        return doc === null ? undefined : toRecord(doc);
      } catch (err) {
        throw nameTaken(err);
      }
    },
    async delete(userId, id) {
      const doc = await pats.findOneAndDelete({ _id: id, userId });
      return doc === null ? undefined : toRecord(doc);
    },
    async deleteAllForUser(userId) {
      return (await pats.deleteMany({ userId })).deletedCount;
    },
    async changeEntryIds(userId, id) {
      const filter: Filter<PatDocument> = {
        userId,
        $or: [{ creationEntryId: { $type: "string" } }, { updateEntryIds: { $type: "array" } }],
      };
      if (id !== undefined) filter._id = id;
      const projection = { _id: 0, creationEntryId: 1, updateEntryIds: 1 };
      const docs = await pats.find(filter, { projection }).toArray();
      return docs.flatMap((doc) => [
        ...(doc.creationEntryId === undefined ? [] : [doc.creationEntryId]),
        ...(doc.updateEntryIds ?? []),
      ]);
    },
    async keepsChangeEntry(userId, id, entryId) {
      return (await pats.countDocuments({ _id: id, userId, updateEntryIds: entryId }, { limit: 1 })) > 0;
    },
    async exists(userId, id) {
      return (await pats.countDocuments({ _id: id, userId }, { limit: 1 })) > 0;
    },
    async holdsTokenCreatedBy(userId, at) {
      return (await pats.countDocuments({ userId, createTime: { $lte: at } }, { limit: 1 })) > 0;
    },
    async touch(id, at, notBefore) {
      await pats.updateOne(
        { _id: id, $or: [{ lastUseTime: null }, { lastUseTime: { $lt: notBefore } }] },
        { $set: { lastUseTime: at } },
      );
    },
  };
}
