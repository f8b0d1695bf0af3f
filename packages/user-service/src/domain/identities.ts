import { UserLogEvent, UserLogResult } from "@roster/client/contract";
import { DomainError, alreadyExists, invalidField, notFound } from "@roster/runtime/domain-error";
import type { IdentityDocument } from "../storage/user-document.js";
import { checkCustomData, type CustomDataLimits, type JsonRecord } from "./custom-data.js";
import type { AppendLog } from "./user-logs.js";
import type { Users } from "./users.js";
import type { UserStore } from "./user-store.js";

export const maxIdentities = 20;

export interface IdentitiesDeps {
  users: Users;
  store: UserStore;
  appendLog: AppendLog;
  limits: CustomDataLimits;
  now?: () => Date;
}

/** External identities: at most one per target per user; (target, provider user id) unique across users. */
export class Identities {
  private readonly now: () => Date;

  constructor(private readonly deps: IdentitiesDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async list(userId: string): Promise<IdentityDocument[]> {
    const user = await this.deps.users.get(userId);
    return [...user.identities].sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
  }

  async link(userId: string, input: { target: string; providerUserId: string; details: JsonRecord }, actor: string): Promise<IdentityDocument> {
    if (!/^[a-z0-9._-]{1,64}$/.test(input.target)) {
      throw invalidField("identity.target", "must be 1-64 characters of lower-case letters, digits and ._-");
    }
    if (input.providerUserId.length === 0 || [...input.providerUserId].length > 256) {
      throw invalidField("identity.provider_user_id", "must be 1-256 characters");
    }
    checkCustomData(input.details, this.deps.limits, "identity.details");
    const user = await this.deps.users.get(userId);
    const now = this.now();
    const identity: IdentityDocument = { target: input.target, providerUserId: input.providerUserId, details: input.details, linkTime: now };
    const existing = user.identities.find((i) => i.target === input.target);
    let updated;
    if (existing?.providerUserId === input.providerUserId) {
      updated = await this.deps.store.replaceIdentity(userId, identity, now);
    } else if (existing !== undefined) {
      throw alreadyExists("IDENTITY_TARGET_LINKED", `the user already has a ${input.target} identity`, "identity.target");
    } else if (user.identities.length >= maxIdentities) {
      throw new DomainError("resource-exhausted", { reason: "IDENTITY_LIMIT_REACHED", message: `a user has at most ${maxIdentities} identities` });
    } else {
      updated = await this.deps.store.pushIdentity(userId, identity, maxIdentities, now);
    }
    if (updated === null) {
      // A concurrent link or delete changed the user between the read and the write.
      throw new DomainError("aborted", { reason: "CONCURRENT_MODIFICATION", message: "the user changed concurrently; retry" });
    }
    await this.log(userId, UserLogEvent.IDENTITY_LINKED, actor, { target: input.target });
    return identity;
  }

  async unlink(userId: string, target: string, actor: string): Promise<void> {
    if (target === "") throw invalidField("target", "is required");
    await this.deps.users.get(userId);
    const updated = await this.deps.store.pullIdentity(userId, target, this.now());
    if (updated === null) throw notFound("IDENTITY_NOT_FOUND", `the user has no ${target.slice(0, 64)} identity`);
    await this.log(userId, UserLogEvent.IDENTITY_UNLINKED, actor, { target });
  }

  private log(userId: string, eventType: UserLogEvent, actor: string, payload: Record<string, unknown>) {
    return this.deps.appendLog({ userId, eventType, actor, result: UserLogResult.SUCCESS, payload });
  }
}
