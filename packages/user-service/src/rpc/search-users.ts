import type { ServiceImpl } from "@connectrpc/connect";
import type { UserService } from "@roster/client";
import type { Logger } from "@roster/runtime";
import { isDomainError } from "@roster/runtime/domain-error";
import type { Db } from "mongodb";
import { searchUsers, type RegexCostOf } from "../domain/search.js";
import { UserSearch } from "../storage/user-search.js";
import { userToProto } from "./convert.js";

/** SearchUsers: plan the request, run it, convert the page. */
export function createSearchUsersHandler(deps: {
  db: Db;
  logger: Logger;
  /** Time limit of each search, its queries together; a search over it fails with SEARCH_TIME_LIMIT_EXCEEDED. */
  timeLimitMs: number;
  /** Decides the matching cost of REGEX-mode patterns before they reach the database. */
  regexCostOf: RegexCostOf;
}): ServiceImpl<typeof UserService>["searchUsers"] {
  const store = new UserSearch(deps.db, { timeLimitMs: deps.timeLimitMs });
  return async (request) => {
    try {
      const result = await searchUsers(store, request, deps.regexCostOf);
      const now = new Date();
      return {
        users: result.users.map((u) => userToProto(u, now)),
        nextPageToken: result.nextPageToken,
        totalSize: result.totalSize,
        totalSizeExact: result.totalSizeExact,
        relevanceScores: result.relevanceScores,
      };
    } catch (err) {
      if (isDomainError(err) && err.reason === "SEARCH_TIME_LIMIT_EXCEEDED") {
        // Worth an operator's eye: a caller keeps sending a scan the indexes cannot serve.
        deps.logger.warn({ query: request.query, filter: request.filter !== undefined }, "search ran over its time limit");
      }
      throw err;
    }
  };
}
