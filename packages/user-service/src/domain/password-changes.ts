import { UserLogEvent, UserLogResult } from "@roster/client/contract";
import type { CallOrigin, CredentialThrottle } from "@roster/runtime";
import { DomainError, failedPrecondition, invalidField } from "@roster/runtime/domain-error";
import type { PasswordCredential, PasswordCredentials } from "./password-credentials.js";
import { hashResetCode, newResetCode } from "./reset-codes.js";
import { pendingLog, type PendingLogMover } from "./pending-logs.js";
import { positionalLog, type AppendLog } from "./user-logs.js";
import type { Users } from "./users.js";
import type { UserRecord, UserStore } from "./user-store.js";

export interface PasswordChangesDeps {
  users: Users;
  store: UserStore;
  credentials: PasswordCredentials;
  appendLog: AppendLog;
  /** Moves the log entries a change wrote into the user's document to the log. */
  pendingLogs: Pick<PendingLogMover, "settle">;
  resetCodeTtlMs: number;
  /** Limits and reports reset-code guessing. */
  resetThrottle: CredentialThrottle;
  now?: () => Date;
}

/** Replacing a user's password: an administrator's set, and the reset-code flow. */
export function createPasswordChanges(deps: PasswordChangesDeps) {
  const { users, store, credentials } = deps;
  const now = deps.now ?? (() => new Date());
  const log = positionalLog(deps.appendLog);

  return {
    async setPassword(id: string, credential: PasswordCredential, actor: string): Promise<UserRecord> {
      const password = await credentials.prepare(credential, "");
      await users.get(id);
      const time = now();
      return users.patchLogged(
        id,
        {
          set: { password: { ...password, setTime: time }, failedAttempts: { count: 0 }, updateTime: time },
          unset: ["lockUntil", "resetCode"],
        },
        actor,
        UserLogEvent.PASSWORD_SET,
        { algorithm: password.algorithm },
      );
    },

    async createResetCode(id: string, actor: string): Promise<{ code: string; expireTime: Date }> {
      const user = await users.get(id);
      if (user.suspended) throw failedPrecondition("USER_SUSPENDED", "the user is suspended");
      const { code, hash } = newResetCode();
      const expireTime = new Date(now().getTime() + deps.resetCodeTtlMs);
      await users.patchLogged(
        id,
        { set: { resetCode: { hash, expireTime } } },
        actor,
        UserLogEvent.PASSWORD_RESET_REQUESTED,
        {
          expireTime: expireTime.toISOString(),
        },
      );
      return { code, expireTime };
    },

    /**
     * The policy is checked before the code is taken, so a refused password
     * leaves the code usable. Guesses are limited per client address and per
     * target (the code's user when the code is known, else the code), before
     * any password is hashed.
     */
    async consumeResetCode(code: string, newPassword: string, actor: string, origin: CallOrigin): Promise<UserRecord> {
      if (code === "" || code.length > 256) throw invalidField("code", "must be 1-256 characters");
      const attempt = await deps.resetThrottle.begin(origin);
      try {
        const hash = hashResetCode(code);
        const user = await store.findByResetCode(hash);
        await attempt.charge(user === null ? `code:${hash}` : `user:${user.id}`);
        const password = await credentials.prepare({ kind: "password", password: newPassword }, "", "new_password");
        if (user?.suspended === true) throw failedPrecondition("USER_SUSPENDED", "the user is suspended");
        const time = now();
        const entry = pendingLog(UserLogEvent.PASSWORD_RESET, actor, {}, time);
        const updated = await store.consumeResetCode(hash, time, {
          set: { password: { ...password, setTime: time }, failedAttempts: { count: 0 }, updateTime: time },
          logs: [entry],
        });
        if (updated === null) {
          attempt.fail("RESET_CODE_INVALID", user === null ? undefined : { userId: user.id });
          if (user !== null)
            await log(user.id, UserLogEvent.PASSWORD_RESET, UserLogResult.FAILURE, actor, {
              reason: "RESET_CODE_INVALID",
            });
          throw new DomainError("unauthenticated", {
            reason: "RESET_CODE_INVALID",
            message: "the reset code is invalid or expired",
          });
        }
        await deps.pendingLogs.settle([{ userId: updated.id, entries: [entry] }]);
        return updated;
      } finally {
        await attempt.end();
      }
    },
  };
}

export type PasswordChanges = ReturnType<typeof createPasswordChanges>;
