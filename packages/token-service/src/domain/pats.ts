import { DomainError, failedPrecondition, invalidField, isDomainError, notFound } from "@roster/runtime/domain-error";
import { pageSizeOf } from "@roster/runtime/page-token";
import { requireId } from "@roster/runtime/resource-id";
import { decodePatPageToken, encodePatPageToken } from "./pat-page-token.js";
import { generatePatSecret, hashPatSecret, patHint } from "./pat-secret.js";
import type { AuditTrail, OutboxEntry } from "./audit-trail.js";
import type { PatRecord, PatStore } from "./pat-store.js";
import { pooledRandomBytes } from "./random-pool.js";
import { validateScopes } from "./scopes.js";
import type { TokensChanged, UserDirectory } from "./user-directory.js";

export interface PatManagementDeps {
  store: PatStore;
  users: UserDirectory;
  audit: AuditTrail;
  pepper: string | undefined;
  maxTokensPerUser: number;
  /** Told of every rename, expiry change and deletion before it returns, so no instance answers from a copy of the old token. */
  tokensChanged?: TokensChanged;
  now?: () => Date;
}

const maxNameLength = 64;

function validName(field: string, name: string): string {
  if ([...name].length > maxNameLength || name.trim() === "") {
    throw invalidField(field, `must be 1–${maxNameLength} characters, not only whitespace`);
  }
  return name;
}

function futureExpiry(field: string, expireTime: Date | undefined, now: Date): Date | undefined {
  if (expireTime !== undefined && expireTime.getTime() <= now.getTime()) {
    throw invalidField(field, "must be in the future", "EXPIRE_TIME_IN_PAST");
  }
  return expireTime;
}

/** The update-mask path of a stored change. */
const changedPath = (field: string) => (field === "expireTime" ? "expire_time" : field);

const tokenNotFound = () => notFound("TOKEN_NOT_FOUND", "the user has no personal access token with this id");

/**
 * Creating, listing, changing and revoking PATs. Every creation and
 * revocation writes its audit entry to the outbox around the change (see
 * AuditTrail.around): when the outbox cannot be written, the change is
 * refused (UNAVAILABLE) before anything happens; once it can, the entry
 * reaches user-service whenever user-service is up, so a revocation stands
 * and is logged even while user-service is down.
 */
export function createPatManagement(deps: PatManagementDeps) {
  const now = deps.now ?? (() => new Date());
  // Published also when the change failed or found nothing: a concurrent call may have made it and not published it yet.
  const publishing = async <T>(userId: string, change: () => Promise<T>): Promise<T> => {
    try {
      return await change();
    } finally {
      await deps.tokensChanged?.(userId);
    }
  };

  /**
   * Before tokens are deleted: their creations and kept changes happened, which delivery tells of a
   * pending entry only while its token exists (see patChangeHappened). Without this, a creation or
   * change whose writer died before confirming its entry would be dropped from the log once its
   * token was revoked.
   * A token created after the read, while its user's tokens are all being deleted, is left to its
   * creator, which is still running and confirms its entry itself unless it dies in that window too.
   */
  const changesHappened = async (userId: string, id: string | undefined) =>
    deps.audit.markHappened(await deps.store.changeEntryIds(userId, id));

  return {
    async create(input: { userId: string; name: string; expireTime: Date | undefined; scopes: readonly string[] }) {
      const at = now();
      const userId = requireId("user_id", input.userId);
      const name = validName("name", input.name);
      const expireTime = futureExpiry("expire_time", input.expireTime, at);
      const scopes = validateScopes("scopes", input.scopes);
      const user = await deps.users.findUser(userId);
      if (user === undefined) throw notFound("USER_NOT_FOUND", "no user has this id", { user_id: userId });
      if (user.suspended) throw failedPrecondition("USER_SUSPENDED", "the user is suspended");
      const secret = generatePatSecret();
      const record: PatRecord = {
        id: `pat_${pooledRandomBytes(12).toString("hex")}`,
        userId,
        name,
        secretHash: hashPatSecret(secret, deps.pepper),
        hint: patHint(secret),
        scopes,
        createTime: at,
        expireTime,
        lastUseTime: undefined,
      };
      const entry = { userId, event: "pat-created" as const, success: true, payload: { token_id: record.id, name } };
      let nameTaken: unknown;
      const inserted = await deps.audit.around(entry, async (entryId) => {
        try {
          return (await deps.store.insertWithinCap(record, deps.maxTokensPerUser, entryId)) ? record : undefined;
        } catch (err) {
          // The unique index refused the token, so nothing was stored: its entry goes now, rather than holding up
          // the user's later entries until delivery settles it, as an error that leaves the outcome open must.
          if (!isDomainError(err) || err.kind !== "already-exists") throw err;
          nameTaken = err;
          return undefined;
        }
      });
      if (nameTaken !== undefined) throw nameTaken;
      if (inserted === undefined) {
        throw new DomainError("resource-exhausted", {
          reason: "TOKEN_LIMIT_REACHED",
          message: `a user has at most ${deps.maxTokensPerUser} personal access tokens`,
          metadata: { limit: String(deps.maxTokensPerUser) },
        });
      }
      return { record, secret };
    },

    async list(input: { userId: string; pageSize: number; pageToken: string }) {
      const userId = requireId("user_id", input.userId);
      const size = pageSizeOf(input.pageSize);
      const after = decodePatPageToken(input.pageToken, userId);
      const [page, totalSize] = await Promise.all([
        deps.store.listForUser(userId, after, size + 1),
        deps.store.countForUser(userId),
      ]);
      const records = page.slice(0, size);
      const last = records.at(-1);
      const nextPageToken = page.length > size && last !== undefined ? encodePatPageToken(userId, last) : "";
      return { records, nextPageToken, totalSize };
    },

    async update(input: {
      userId: string;
      id: string;
      paths: readonly string[];
      name: string;
      expireTime: Date | undefined;
    }) {
      const userId = requireId("personal_access_token.user_id", input.userId);
      const id = requireId("personal_access_token.id", input.id);
      if (input.paths.length === 0)
        throw invalidField("update_mask", "must name at least one path", "INVALID_UPDATE_MASK");
      const changes: { name?: string; expireTime?: Date | null } = {};
      for (const path of input.paths) {
        if (path === "name") changes.name = validName("personal_access_token.name", input.name);
        else if (path === "expire_time") {
          changes.expireTime = futureExpiry("personal_access_token.expire_time", input.expireTime, now()) ?? null;
        } else
          throw invalidField(
            "update_mask",
            `unknown or immutable path "${path}"; allowed: name, expire_time`,
            "INVALID_UPDATE_MASK",
          );
      }
      // What the change sets, so the entry is whole even if its writer dies before the change returns.
      const payload: Record<string, string> = { token_id: id, paths: Object.keys(changes).map(changedPath).join(",") };
      if (changes.name !== undefined) payload.name = changes.name;
      if (changes.expireTime !== undefined) payload.expire_time = changes.expireTime?.toISOString() ?? "";
      const entry = { userId, event: "pat-updated" as const, success: true, payload };
      let nameTaken: unknown;
      const record = await publishing(userId, () =>
        deps.audit.around(entry, (entryId) =>
          deps.store.update(userId, id, changes, entryId).catch((err: unknown) => {
            // Refused by the unique index, so nothing changed: its entry goes now (see create).
            if (!isDomainError(err) || err.kind !== "already-exists") throw err;
            nameTaken = err;
            return undefined;
          }),
        ),
      );
      if (nameTaken !== undefined) throw nameTaken;
      if (record === undefined) throw tokenNotFound();
      return record;
    },

    async delete(input: { userId: string; id: string }) {
      const userId = requireId("user_id", input.userId);
      const id = requireId("token_id", input.id);
      const entry = { userId, event: "pat-revoked" as const, success: true, payload: { token_id: id } };
      const record = await publishing(userId, () =>
        deps.audit.around(
          entry,
          async () => {
            await changesHappened(userId, id);
            return deps.store.delete(userId, id);
          },
          (deleted) => ({ name: deleted.name }),
        ),
      );
      if (record === undefined) throw tokenNotFound();
    },

    async deleteAllForUser(input: { userId: string }) {
      const userId = requireId("user_id", input.userId);
      const entry = { userId, event: "pat-revoked" as const, success: true, payload: { reason: "USER_DELETED" } };
      const deleteAll = async () => {
        await changesHappened(userId, undefined);
        const count = await deps.store.deleteAllForUser(userId);
        return count > 0 ? count : undefined;
      };
      return (await publishing(userId, () => deps.audit.around(entry, deleteAll, (count) => ({ count })))) ?? 0;
    },
  };
}

export type PatManagement = ReturnType<typeof createPatManagement>;

/**
 * Whether the change a pending audit entry records happened, judged from the
 * tokens as they are now, and so only from what no later change can undo: a
 * created token exists (a revocation confirms the creation before removing the
 * token, see `markHappened`), an updated one keeps the entry's id among those
 * of its latest changes (confirmed likewise before removal), a revoked one does not exist (ids are never reused),
 * and a user whose tokens were all deleted holds none created by the time of
 * the entry (a token created since is not one it deleted). That last judgement
 * goes by the clocks of the instances involved: a token whose creator's clock
 * ran behind, or whose insert started before the deletion and landed after it,
 * can still make a deletion that happened look as if it had not.
 */
export function patChangeHappened(store: PatStore): (entry: OutboxEntry) => Promise<boolean> {
  return async ({ id, userId, event, payload, createTime }) => {
    if (typeof payload.token_id !== "string") return !(await store.holdsTokenCreatedBy(userId, createTime));
    if (event === "pat-updated") return store.keepsChangeEntry(userId, payload.token_id, id);
    const exists = await store.exists(userId, payload.token_id);
    return event === "pat-created" ? exists : !exists;
  };
}
