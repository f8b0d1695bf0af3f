import type { Db } from "mongodb";
import type { ShownUser, UserSearchStore } from "../domain/search.js";
import { toShownUser } from "./user-document.js";
import { createUserSearch, type UserSearchOptions } from "./user-search.js";

/** Search over the `users` collection, its pages as the users they show. */
export function createUserSearchStore(db: Db, options: UserSearchOptions): UserSearchStore<ShownUser> {
  const search = createUserSearch(db, options);
  return {
    async search(plan) {
      const page = await search.search(plan);
      return { ...page, items: page.items.map(toShownUser) };
    },
  };
}
