import { UserLogEvent } from "@roster/client/contract";
import { DomainError, alreadyExists, invalidField, notFound } from "@roster/runtime/domain-error";
import { checkCustomData, type CustomDataLimits, type JsonRecord } from "./custom-data.js";
import { pendingLog, type PendingLogMover } from "./pending-logs.js";
import type { Users } from "./users.js";
import type { IdentityRecord, UserStore } from "./user-store.js";

export const maxIdentities = 20;

export interface IdentitiesDeps {
  users: Users;
  store: UserStore;
  /** Moves the log entries a change wrote into the user's document to the log. */
  pendingLogs: Pick<PendingLogMover, "settle">;
  limits: CustomDataLimits;
  now?: () => Date;
}

/** External identities: at most one per target per user; (target, provider user id) unique across users. */
export function createIdentities(deps: IdentitiesDeps) {
  const { users, store } = deps;
  const now = deps.now ?? (() => new Date());

  return {
    async list(userId: string): Promise<IdentityRecord[]> {
      const user = await users.get(userId);
      return [...user.identities].sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
    },

    async link(
      userId: string,
      input: { target: string; providerUserId: string; details: JsonRecord },
      actor: string,
    ): Promise<IdentityRecord> {
      if (!/^[a-z0-9._-]{1,64}$/.test(input.target)) {
        throw invalidField("identity.target", "must be 1-64 characters of lower-case letters, digits and ._-");
      }
      if (input.providerUserId.length === 0 || [...input.providerUserId].length > 256) {
        throw invalidField("identity.provider_user_id", "must be 1-256 characters");
      }
      checkCustomData(input.details, deps.limits, "identity.details");
      const user = await users.get(userId);
      const time = now();
      const identity: IdentityRecord = {
        target: input.target,
        providerUserId: input.providerUserId,
        details: input.details,
        linkTime: time,
      };
      const existing = user.identities.find((i) => i.target === input.target);
      const entry = pendingLog(UserLogEvent.IDENTITY_LINKED, actor, { target: input.target }, time);
      let updated;
      if (existing?.providerUserId === input.providerUserId) {
        updated = await store.replaceIdentity(userId, identity, time, [entry]);
      } else if (existing !== undefined) {
        throw alreadyExists(
          "IDENTITY_TARGET_LINKED",
          `the user already has a ${input.target} identity`,
          "identity.target",
        );
      } else if (user.identities.length >= maxIdentities) {
        throw new DomainError("resource-exhausted", {
          reason: "IDENTITY_LIMIT_REACHED",
          message: `a user has at most ${maxIdentities} identities`,
        });
      } else {
        updated = await store.pushIdentity(userId, identity, maxIdentities, time, [entry]);
      }
      if (updated === null) {
        // A concurrent link or delete changed the user between the read and the write.
        throw new DomainError("aborted", {
          reason: "CONCURRENT_MODIFICATION",
          message: "the user changed concurrently; retry",
        });
      }
      await deps.pendingLogs.settle([{ userId, entries: [entry] }]);
      return identity;
    },

    async unlink(userId: string, target: string, actor: string): Promise<void> {
      if (target === "") throw invalidField("target", "is required");
      await users.get(userId);
      const time = now();
      const entry = pendingLog(UserLogEvent.IDENTITY_UNLINKED, actor, { target }, time);
      const updated = await store.pullIdentity(userId, target, time, [entry]);
      if (updated === null) throw notFound("IDENTITY_NOT_FOUND", `the user has no ${target.slice(0, 64)} identity`);
      await deps.pendingLogs.settle([{ userId, entries: [entry] }]);
    },
  };
}

export type Identities = ReturnType<typeof createIdentities>;
