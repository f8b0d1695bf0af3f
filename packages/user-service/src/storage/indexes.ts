import type { CollectionIndexes } from "@roster/runtime";
import { roleIndexes } from "./role-indexes.js";
import { searchIndexes } from "./search-indexes.js";
import { whenString } from "./string-keys.js";
import { tokenCleanupsCollection } from "./token-cleanup-repository.js";
import { userLogsCollection } from "./user-log-repository.js";
import { usersCollection } from "./user-repository.js";

/** The users collection's own indexes: identifier uniqueness and identity lookups. */
export const userIndexes: CollectionIndexes = {
  collection: usersCollection,
  indexes: [
    // Partial: optional identifiers may be absent on many users without colliding.
    {
      name: "usernameKey_unique",
      key: { usernameKey: 1 },
      unique: true,
      partialFilterExpression: whenString("usernameKey"),
    },
    { name: "emailKey_unique", key: { emailKey: 1 }, unique: true, partialFilterExpression: whenString("emailKey") },
    { name: "phone_unique", key: { phone: 1 }, unique: true, partialFilterExpression: whenString("phone") },
    {
      name: "identity_unique",
      key: { "identities.target": 1, "identities.providerUserId": 1 },
      unique: true,
      partialFilterExpression: whenString("identities.target"),
    },
    { name: "resetCode_hash", key: { "resetCode.hash": 1 }, partialFilterExpression: whenString("resetCode.hash") },
    // Sparse: only users with log entries still to move to `user_logs` (see pending-logs.ts).
    { name: "pendingLogs_time", key: { "pendingLogs.time": 1 }, sparse: true },
  ],
};

/** Builds the user-log indexes; the TTL comes from `USER_LOG_RETENTION_DAYS`. */
export function userLogIndexes(retentionDays: number): CollectionIndexes {
  return {
    collection: userLogsCollection,
    indexes: [
      { name: "userId_id", key: { userId: 1, _id: -1 } },
      { name: "userId_event_id", key: { userId: 1, event: 1, _id: -1 } },
      { name: "userId_createTime", key: { userId: 1, createTime: 1 } },
      { name: "createTime_ttl", key: { createTime: 1 }, expireAfterSeconds: retentionDays * 86_400 },
      // A sender's idempotency key: a redelivered entry is stored once, however often and however concurrently it arrives.
      {
        name: "requestId_unique",
        key: { requestId: 1 },
        unique: true,
        partialFilterExpression: whenString("requestId"),
      },
    ],
  };
}

export const tokenCleanupIndexes: CollectionIndexes = {
  collection: tokenCleanupsCollection,
  indexes: [{ name: "nextAttemptTime", key: { nextAttemptTime: 1 } }],
};

/** Every index user-service relies on, created at start-up. */
export function userServiceIndexes(retentionDays: number): CollectionIndexes[] {
  return [userIndexes, userLogIndexes(retentionDays), tokenCleanupIndexes, ...searchIndexes, ...roleIndexes];
}
