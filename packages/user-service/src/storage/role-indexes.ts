import type { CollectionIndexes } from "@roster/runtime";
import { rolesCollection } from "./role-repository.js";
import { usersCollection } from "./user-repository.js";

/** Role names are unique case-insensitively; users are found by the roles they hold. */
export const roleIndexes: CollectionIndexes[] = [
  { collection: rolesCollection, indexes: [{ name: "roles_name_key_unique", key: { nameKey: 1 }, unique: true }] },
  // Serves the has-role search filter, a role's users in id order, and role deletion.
  { collection: usersCollection, indexes: [{ name: "users_role_ids_id", key: { roleIds: 1, _id: 1 } }] },
];
