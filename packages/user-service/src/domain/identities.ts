import { UserLogEvent, UserLogResult } from "@roster/client/contract";
import { DomainError, alreadyExists, invalidField, notFound } from "@roster/runtime/domain-error";
import { checkCustomData, type CustomDataLimits, type JsonRecord } from "./custom-data.js";
import type { AppendLog } from "./user-logs.js";
import type { Users } from "./users.js";
import type { IdentityRecord, UserStore } from "./user-store.js";

export const maxIdentities = 20;

export interface IdentitiesDeps {
  users: Users;
  store: UserStore;
  appendLog: AppendLog;
  limits: CustomDataLimits;
  now?: () => Date;
}

/** External identities: at most one per target per user; (target, provider user id) unique across users. */
export function createIdentities(deps: IdentitiesDeps) {
  const { users, store } = deps;
  const now = deps.now ?? (() => new Date());
  const log = (userId: string, eventType: UserLogEvent, actor: string, payload: Record<string, unknown>) =>
    deps.appendLog({ userId, eventType, actor, result: UserLogResult.SUCCESS, payload });

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
      let updated;
      if (existing?.providerUserId === input.providerUserId) {
        updated = await store.replaceIdentity(userId, identity, time);
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
        updated = await store.pushIdentity(userId, identity, maxIdentities, time);
      }
      if (updated === null) {
        // A concurrent link or delete changed the user between the read and the write.
        throw new DomainError("aborted", {
          reason: "CONCURRENT_MODIFICATION",
          message: "the user changed concurrently; retry",
        });
      }
      await log(userId, UserLogEvent.IDENTITY_LINKED, actor, { target: input.target });
      return identity;
    },

    async unlink(userId: string, target: string, actor: string): Promise<void> {
      if (target === "") throw invalidField("target", "is required");
      await users.get(userId);
      const updated = await store.pullIdentity(userId, target, now());
      if (updated === null) throw notFound("IDENTITY_NOT_FOUND", `the user has no ${target.slice(0, 64)} identity`);
      await log(userId, UserLogEvent.IDENTITY_UNLINKED, actor, { target });
    },
  };
}

export type Identities = ReturnType<typeof createIdentities>;
