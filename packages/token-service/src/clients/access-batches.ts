import DataLoader from "dataloader";
import { maxIdLength } from "@roster/runtime/resource-id";
import type { UserAccess } from "../domain/user-directory.js";

/** The most users one BatchGetUserAccess call names (user-service refuses more). */
export const maxUsersPerAccessBatch = 100;

/**
 * Reads of single users' access that share a round trip: the reads asked for
 * in one turn of the event loop leave as one BatchGetUserAccess (at most
 * `maxUsersPerAccessBatch` users; a busier moment sends several at once), and
 * each caller gets its own user's access, or undefined when user-service has
 * no such user. Nothing is kept between batches: each read asks user-service
 * after it was asked for, exactly as a call of its own would. A failed call
 * fails every read in its batch.
 */
export function batchAccessReads(
  fetchMany: (userIds: readonly string[]) => Promise<readonly UserAccess[]>,
): (userId: string) => Promise<UserAccess | undefined> {
  const loader = new DataLoader<string, UserAccess | undefined>(
    async (userIds) => {
      // An id user-service cannot even parse names no user: answered here rather than failing the batch.
      const asked = [...new Set(userIds.filter((id) => id.length > 0 && id.length <= maxIdLength))];
      const found = asked.length === 0 ? [] : await fetchMany(asked);
      const byId = new Map(found.map((access) => [access.id, access]));
      return userIds.map((id) => byId.get(id));
    },
    // A batch closes in the timers phase of the next turn, so the calls that arrived in this one share it.
    { cache: false, maxBatchSize: maxUsersPerAccessBatch, batchScheduleFn: (send) => setTimeout(send, 0) },
  );
  return (userId) => loader.load(userId);
}
