import { batchPerTurn } from "@roster/runtime";
import { maxIdLength } from "@roster/runtime/resource-id";
import type { UserAccess } from "../domain/user-directory.js";

/** The most users one BatchGetUserAccess call names (user-service refuses more). */
export const maxUsersPerAccessBatch = 100;

/**
 * Reads of single users' access that share a round trip (see the runtime's
 * `batchPerTurn`): the reads asked for in one turn of the event loop leave as
 * one BatchGetUserAccess, and each caller gets its own user's access, or
 * undefined when user-service has no such user. A failed call fails every read
 * in its batch.
 */
export function batchAccessReads(
  fetchMany: (userIds: readonly string[]) => Promise<readonly UserAccess[]>,
): (userId: string) => Promise<UserAccess | undefined> {
  const read = batchPerTurn(
    async (userIds) => {
      // An id user-service cannot even parse names no user: answered here rather than failing the batch.
      const asked = userIds.filter((id) => id.length > 0 && id.length <= maxIdLength);
      const found = asked.length === 0 ? [] : await fetchMany(asked);
      return new Map(found.map((access) => [access.id, access]));
    },
    { maxBatchSize: maxUsersPerAccessBatch },
  );
  return async (userId) => (await read(userId)) ?? undefined;
}
