import { LRUCache } from "lru-cache";
import type { PatRecord, PatStore } from "./pat-store.js";
import type { FeedTrust } from "./user-access-copy.js";

export interface PatCacheOptions {
  /** How many records are held at most; 0: none. */
  maxTokens: number;
  /** How long a record is answered from the cache before it is read again. */
  maxAgeMs: number;
  /** A monotonic clock in milliseconds. */
  now?: () => number;
}

interface Held {
  record: PatRecord;
  /** On `now()`'s clock: when the record was read. */
  readAt: number;
}

/**
 * A PatStore whose lookups by secret hash answer from PAT records this
 * process has read, under the same trust as the user-access copy: only while
 * every user-access feed is subscribed and its lease unexpired (else the
 * database is read). A feed message naming a user drops that user's records
 * before it is acknowledged, and every PAT rename, expiry change and deletion
 * is published on the feeds before it returns (see PatManagementDeps), so no
 * record is answered after a change of it returned anywhere. A read that
 * overlapped a change is not kept, nor is a miss (a new token needs no
 * message). At most `maxTokens` records are held; the least recently used go
 * first. A record is also read again once it is `maxAgeMs` old, which bounds
 * how long a change made behind every instance's back (a restored database,
 * a hand edit) can go unseen. Everything else goes to `store` unchanged.
 */
export function createCachedPatStore(store: PatStore, trust: FeedTrust, options: PatCacheOptions): PatStore {
  const { maxTokens, maxAgeMs } = options;
  const now = options.now ?? (() => performance.now());
  // A use only moves the record in lru-cache's list: refreshing by Map delete and set instead leaves a deleted entry
  // in the key's hash chain every time, so a busy token's uses each got slower than the last until the Map was rehashed.
  const byHash = new LRUCache<string, Held>({ max: Math.max(1, maxTokens) });
  const hashesOfUser = new Map<string, Set<string>>();
  const hashOfId = new Map<string, string>();

  /** Takes a record out of the other indexes, once it has left `byHash`. */
  const unindex = (hash: string, record: PatRecord) => {
    hashOfId.delete(record.id);
    const hashes = hashesOfUser.get(record.userId);
    hashes?.delete(hash);
    if (hashes?.size === 0) hashesOfUser.delete(record.userId);
  };
  const drop = (hash: string) => {
    const record = byHash.peek(hash)?.record;
    if (record === undefined) return;
    byHash.delete(hash);
    unindex(hash, record);
  };
  const keep = (record: PatRecord, readAt: number) => {
    drop(record.secretHash);
    // The least recently used leaves first, from every index.
    if (byHash.size >= maxTokens) {
      const oldest = byHash.pop();
      if (oldest !== undefined) unindex(oldest.record.secretHash, oldest.record);
    }
    byHash.set(record.secretHash, { record, readAt });
    hashOfId.set(record.id, record.secretHash);
    const hashes = hashesOfUser.get(record.userId) ?? new Set<string>();
    hashes.add(record.secretHash);
    hashesOfUser.set(record.userId, hashes);
  };

  trust.onForget((userId) => {
    if (userId === undefined) {
      byHash.clear();
      hashesOfUser.clear();
      hashOfId.clear();
      return;
    }
    for (const hash of hashesOfUser.get(userId) ?? []) drop(hash);
  });

  return {
    ...store,
    async findBySecretHash(secretHash) {
      const startedAt = now();
      if (trust.trusted) {
        // Most recently used now (get moves it); its places in the other indexes stay as they are.
        const held = byHash.get(secretHash);
        if (held !== undefined && startedAt - held.readAt < maxAgeMs) return held.record;
      }
      const startedIn = trust.generation;
      const live = trust.live;
      const record = await store.findBySecretHash(secretHash);
      if (record !== undefined && live && startedIn === trust.generation && maxTokens > 0) keep(record, startedAt);
      return record;
    },
    async touch(id, at, notBefore) {
      // The held record learns the new time at once, so its next uses within the minute write nothing either.
      const hash = hashOfId.get(id);
      const held = hash === undefined ? undefined : byHash.peek(hash);
      if (held !== undefined && hash !== undefined)
        byHash.set(hash, { ...held, record: { ...held.record, lastUseTime: at } });
      await store.touch(id, at, notBefore);
    },
  };
}
