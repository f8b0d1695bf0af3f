import type { ServiceImpl } from "@connectrpc/connect";
import type { UserService } from "@roster/client";
import type { Logger } from "@roster/runtime";
import { isDomainError } from "@roster/runtime/domain-error";
import type { ShownUser, UserSearchService } from "../domain/search.js";
import { userInit } from "./convert.js";
import { searchInputOf } from "./search-request.js";

/** SearchUsers: translate the request, run the search, convert the page. */
export function createSearchUsersHandler(deps: {
  search: UserSearchService<ShownUser>;
  logger: Logger;
}): ServiceImpl<typeof UserService>["searchUsers"] {
  return async (request) => {
    try {
      const result = await deps.search.search(searchInputOf(request));
      const now = new Date();
      return {
        users: result.users.map((u) => userInit(u, now)),
        nextPageToken: result.nextPageToken,
        totalSize: result.totalSize,
        totalSizeExact: result.totalSizeExact,
        relevanceScores: result.relevanceScores,
      };
    } catch (err) {
      if (isDomainError(err) && err.reason === "SEARCH_TIME_LIMIT_EXCEEDED") {
        // Worth an operator's eye: a caller keeps sending a scan the indexes cannot serve.
        deps.logger.warn(
          { query: request.query, filter: request.filter !== undefined },
          "search ran over its time limit",
        );
      }
      throw err;
    }
  };
}
