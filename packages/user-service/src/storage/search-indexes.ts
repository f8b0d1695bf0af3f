import type { CollectionIndexes } from "@roster/runtime";
import { usersCollection } from "./user-repository.js";

/**
 * The indexes that keep user search off collection scans. Each key field is
 * also the sort key of one UserSortField, with `_id` as the tie-break so a
 * page boundary is an index seek.
 *
 * - exact / prefix on username, email, phone, name: the `*Key` (or `phone`)
 *   indexes below, with anchored, escaped patterns;
 * - exact / prefix on id, id lists: the built-in `_id` index;
 * - email lists: `search_email_key`;
 * - the free-text query: `_id`, `search_keys` (multikey: username, email,
 *   name from each word on) and `search_phone`, one range each;
 * - similarity, CONTAINS on username, email, phone, name, and PREFIX on
 *   name: candidates from the multikey `search_grams_create_time_id` index,
 *   each then checked exactly (in creation order, so the default sort needs
 *   no sort);
 * - time ranges and sorts: the `*Time` + `_id` indexes.
 */
export const searchIndexes: CollectionIndexes[] = [
  {
    collection: usersCollection,
    indexes: [
      { name: "search_username_key_id", key: { usernameKey: 1, _id: 1 } },
      { name: "search_email_key", key: { emailKey: 1 } },
      { name: "search_phone", key: { phone: 1 } },
      { name: "search_name_key_id", key: { nameKey: 1, _id: 1 } },
      // Pinned to one trigram, the scan returns users in the default order, so a page of CONTAINS stops early.
      { name: "search_grams_create_time_id", key: { grams: 1, createTime: 1, _id: 1 } },
      { name: "search_keys", key: { searchKeys: 1 } },
      { name: "search_identity_target", key: { "identities.target": 1 } },
      { name: "search_create_time_id", key: { createTime: 1, _id: 1 } },
      { name: "search_update_time_id", key: { updateTime: 1, _id: 1 } },
      { name: "search_last_sign_in_time_id", key: { lastSignInTime: 1, _id: 1 } },
    ],
  },
];
