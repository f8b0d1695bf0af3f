import type { CollectionIndexes } from "@roster/runtime";

export const patCollection = "personal_access_tokens";
export const signingKeyCollection = "signing_keys";
export const auditOutboxCollection = "audit_outbox";

export const signingKeyIndexes: CollectionIndexes = {
  collection: signingKeyCollection,
  // Rotation inserts generation n+1; when instances race, exactly one insert wins and all agree on it.
  indexes: [{ name: "generation_unique", key: { generation: 1 }, unique: true }],
};

/**
 * Every index token-service relies on, created at start-up. Shard keys, were
 * these collections sharded: `userId` for tokens (every management query
 * names the user; exchange looks up by `secretHash`, a scatter-gather that a
 * hashed `secretHash` shard key would avoid at the price of per-user lists);
 * signing keys stay tiny and unsharded.
 */
export const tokenServiceIndexes: CollectionIndexes[] = [
  {
    collection: patCollection,
    indexes: [
      // A user's token names are unique in the database, not only in code: two racing creates cannot both win.
      { name: "userId_name_unique", key: { userId: 1, name: 1 }, unique: true },
      { name: "secretHash_unique", key: { secretHash: 1 }, unique: true },
      // The per-user cap: each token holds one of the slots [0, cap); tokens stored before slots existed hold none.
      {
        name: "userId_slot_unique",
        key: { userId: 1, slot: 1 },
        unique: true,
        partialFilterExpression: { slot: { $exists: true } },
      },
      { name: "userId_createTime_id", key: { userId: 1, createTime: -1, _id: -1 } },
    ],
  },
  signingKeyIndexes,
  {
    collection: auditOutboxCollection,
    indexes: [
      // Delivery finds due entries, then reads one user's queue in order.
      { name: "nextAttemptTime", key: { nextAttemptTime: 1 } },
      { name: "userId_createTime_id", key: { userId: 1, createTime: 1, _id: 1 } },
    ],
  },
];
