import type { Db } from "mongodb";
import type { UserSearchStore } from "../domain/search.js";
import type { UserRecord } from "../domain/user-store.js";
import { toUserRecord } from "./user-document.js";
import { createUserSearch, type UserSearchOptions } from "./user-search.js";

/** Search over the `users` collection, its pages as domain records. */
export function createUserSearchStore(db: Db, options: UserSearchOptions): UserSearchStore<UserRecord> {
  const search = createUserSearch(db, options);
  return {
    async search(plan) {
      const page = await search.search(plan);
      return { ...page, items: page.items.map(toUserRecord) };
    },
  };
}
