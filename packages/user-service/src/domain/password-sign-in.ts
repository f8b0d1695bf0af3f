import { UserLogEvent, UserLogResult } from "@roster/client/contract";
import { DomainError, failedPrecondition, invalidField } from "@roster/runtime/domain-error";
import type { PasswordHasher } from "./password-hashes.js";
import { pendingLog, type PendingLogMover } from "./pending-logs.js";
import { positionalLog, type AppendLog } from "./user-logs.js";
import { normaliseIdentifier, type Identifier, type Users } from "./users.js";
import type { AdmittedAttempt, UserPatch, UserRecord, UserSelector, UserStore } from "./user-store.js";

export interface LockoutPolicy {
  threshold: number;
  windowMs: number;
  durationMs: number;
}

export interface PasswordSignInDeps {
  users: Users;
  store: UserStore;
  hasher: PasswordHasher;
  appendLog: AppendLog;
  /** Moves the log entries a change wrote into the user's document to the log. */
  pendingLogs: Pick<PendingLogMover, "settle">;
  lockout: LockoutPolicy;
  now?: () => Date;
}

const invalidPassword = () =>
  new DomainError("unauthenticated", { reason: "INVALID_PASSWORD", message: "invalid credentials" });

/** Signing in with a password: verification under brute-force lockout, and lifting a lock. */
export function createPasswordSignIn(deps: PasswordSignInDeps) {
  const { users, store, hasher, lockout } = deps;
  const now = deps.now ?? (() => new Date());
  const log = positionalLog(deps.appendLog);

  /** Answers an attempt that was not admitted: no such user, a suspended one, or one out of attempts. */
  async function refuse(who: UserSelector, password: string, time: Date, actor: string): Promise<never> {
    const user = "id" in who ? await users.get(who.id) : await store.findByIdentifier(who.kind, who.value);
    if (user === null) {
      await hasher.verify(undefined, password);
      throw invalidPassword();
    }
    const [reason, error] = user.suspended
      ? ["USER_SUSPENDED", failedPrecondition("USER_SUSPENDED", "the user is suspended")]
      : ["USER_LOCKED", lockedError(nextAdmission(user, time))];
    await log(user.id, UserLogEvent.SIGN_IN_FAILED, UserLogResult.FAILURE, actor, { reason });
    throw error;
  }

  /**
   * When a user out of attempts may try again: at the end of the lock, or,
   * while attempts of a full window are still being checked, at the window's end.
   */
  function nextAdmission(user: UserRecord, time: Date): Date {
    if (user.lockUntil !== undefined && user.lockUntil > time) return user.lockUntil;
    const { windowStart } = user.failedAttempts;
    return windowStart === undefined
      ? time
      : new Date(Math.max(time.getTime(), windowStart.getTime() + lockout.windowMs));
  }

  /**
   * The attempt that filled the window locks the user when it fails, unless a
   * success has cleared the count meanwhile; the earlier ones need not check.
   */
  async function fail({ user, attempt }: AdmittedAttempt, time: Date, actor: string): Promise<void> {
    const count = user.failedAttempts.count;
    const lockUntil = new Date(time.getTime() + lockout.durationMs);
    const entries = [attempt];
    if (count >= lockout.threshold) {
      const locked = { failures: count, lockExpireTime: lockUntil.toISOString() };
      const lock = pendingLog(UserLogEvent.USER_LOCKED, actor, locked, time);
      if (await store.lockIfExhausted(user.id, lockout.threshold, lockUntil, [lock])) entries.push(lock);
    }
    await deps.pendingLogs.settle([{ userId: user.id, entries }]);
  }

  function lockedError(until: Date): DomainError {
    return failedPrecondition("USER_LOCKED", "too many failed attempts; the user is locked", {
      lock_expire_time: until.toISOString(),
    });
  }

  return {
    /**
     * Every attempt against a known user is logged; an unknown identifier looks,
     * and takes as long, as a wrong password. The attempt is counted before the
     * password is checked, in the write that admits it, so that however many
     * arrive at once and on however many instances, a window checks at most
     * `threshold` passwords. An admitted attempt counts as failed until it
     * succeeds: one whose check throws, or whose instance dies, still counts.
     */
    async verify(target: { id: string } | Identifier, password: string, actor: string): Promise<UserRecord> {
      if (password.length === 0 || password.length > 1024) throw invalidField("password", "must be 1-1024 characters");
      const who: UserSelector = "id" in target ? { id: target.id } : normaliseIdentifier(target);
      const time = now();
      const failed = { ...pendingLog(UserLogEvent.SIGN_IN_FAILED, actor, {}, time), result: UserLogResult.FAILURE };
      const rule = {
        now: time,
        windowStartCutoff: new Date(time.getTime() - lockout.windowMs),
        threshold: lockout.threshold,
      };
      const admission = await store.admitAttempt(who, rule, failed);
      if (admission === null) return refuse(who, password, time, actor);
      const admitted = admission.user;
      const { ok, rehash } = await hasher.verify(admitted.password, password);
      if (!ok) {
        await fail(admission, time, actor);
        throw invalidPassword();
      }
      const set: UserPatch["set"] = { lastSignInTime: time, failedAttempts: { count: 0 } };
      if (rehash) set.password = { ...(await hasher.hash(password)), setTime: time };
      // The success's entry takes the place of the attempt's, written as failed when it was admitted.
      const patch: UserPatch = { set, unset: ["lockUntil"], replacesLog: admission.attempt.id };
      return users.patchLogged(admitted.id, patch, actor, UserLogEvent.SIGN_IN_SUCCEEDED, {
        ...(rehash && admitted.password !== undefined ? { rehashedFrom: admitted.password.algorithm } : {}),
      });
    },

    async unlock(id: string, actor: string): Promise<UserRecord> {
      const user = await users.get(id);
      const locked = user.lockUntil !== undefined && user.lockUntil > now();
      const patch: UserPatch = { set: { failedAttempts: { count: 0 }, updateTime: now() }, unset: ["lockUntil"] };
      if (!locked) return (await store.patch(id, patch)) ?? user;
      return users.patchLogged(id, patch, actor, UserLogEvent.USER_UNLOCKED, {});
    },
  };
}

export type PasswordSignIn = ReturnType<typeof createPasswordSignIn>;
