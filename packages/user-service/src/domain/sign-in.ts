import { UserLogEvent, UserLogResult } from "@roster/client/contract";
import type { CallOrigin, CredentialThrottle } from "@roster/runtime";
import { DomainError, failedPrecondition, invalidField } from "@roster/runtime/domain-error";
import type { UserDocument } from "../storage/user-document.js";
import type { PasswordCredential, PasswordService } from "./password-credentials.js";
import { hashResetCode, newResetCode } from "./reset-codes.js";
import type { AppendLog } from "./user-logs.js";
import { identifierKeyOf, type Identifier, type Users } from "./users.js";
import type { UserSelector, UserStore } from "./user-store.js";

export interface LockoutPolicy {
  threshold: number;
  windowMs: number;
  durationMs: number;
}

export interface SignInDeps {
  users: Users;
  store: UserStore;
  passwords: PasswordService;
  appendLog: AppendLog;
  lockout: LockoutPolicy;
  resetCodeTtlMs: number;
  /** Limits and reports reset-code guessing. */
  resetThrottle: CredentialThrottle;
  now?: () => Date;
}

const invalidPassword = () => new DomainError("unauthenticated", { reason: "INVALID_PASSWORD", message: "invalid credentials" });

/** Passwords after creation: admin set, verification with lockout, reset codes, unlock. */
export class SignIn {
  private readonly now: () => Date;

  constructor(private readonly deps: SignInDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async setPassword(id: string, credential: PasswordCredential, actor: string): Promise<UserDocument> {
    const password = await this.deps.passwords.prepare(credential, "");
    await this.deps.users.get(id);
    const now = this.now();
    return this.deps.users.patchLogged(
      id,
      { set: { password: { ...password, setTime: now }, failedAttempts: { count: 0 }, updateTime: now }, unset: ["lockUntil", "resetCode"] },
      actor,
      UserLogEvent.PASSWORD_SET,
      { algorithm: password.algorithm },
    );
  }

  /**
   * Every attempt against a known user is logged; an unknown identifier looks,
   * and takes as long, as a wrong password. The attempt is counted before the
   * password is checked, in the write that admits it, so that however many
   * arrive at once and on however many instances, a window checks at most
   * `threshold` passwords. An admitted attempt counts as failed until it
   * succeeds: one whose check throws, or whose instance dies, still counts.
   */
  async verify(target: { id: string } | Identifier, password: string, actor: string): Promise<UserDocument> {
    if (password.length === 0 || password.length > 1024) throw invalidField("password", "must be 1-1024 characters");
    const who: UserSelector = "id" in target ? { id: target.id } : identifierKeyOf(target);
    const now = this.now();
    const { threshold, windowMs } = this.deps.lockout;
    const admitted = await this.deps.store.admitAttempt(who, { now, windowStartCutoff: new Date(now.getTime() - windowMs), threshold });
    if (admitted === null) return this.refuse(who, password, now, actor);
    const { ok, rehash } = await this.deps.passwords.hasher.verify(admitted.password, password);
    if (!ok) {
      await this.fail(admitted, now, actor);
      throw invalidPassword();
    }
    const set: Partial<UserDocument> = { lastSignInTime: now, failedAttempts: { count: 0 } };
    if (rehash) set.password = { ...(await this.deps.passwords.hasher.hash(password)), setTime: now };
    return this.deps.users.patchLogged(admitted._id, { set, unset: ["lockUntil"] }, actor, UserLogEvent.SIGN_IN_SUCCEEDED, {
      ...(rehash && admitted.password !== undefined ? { rehashedFrom: admitted.password.algorithm } : {}),
    });
  }

  /** Answers an attempt that was not admitted: no such user, a suspended one, or one out of attempts. */
  private async refuse(who: UserSelector, password: string, now: Date, actor: string): Promise<never> {
    const user = "id" in who ? await this.deps.users.get(who.id) : await this.deps.store.findByIdentifier(who.key, who.value);
    if (user === null) {
      await this.deps.passwords.hasher.verify(undefined, password);
      throw invalidPassword();
    }
    const [reason, error] = user.suspended
      ? ["USER_SUSPENDED", failedPrecondition("USER_SUSPENDED", "the user is suspended")]
      : ["USER_LOCKED", this.lockedError(this.nextAdmission(user, now))];
    await this.log(user._id, UserLogEvent.SIGN_IN_FAILED, UserLogResult.FAILURE, actor, { reason });
    throw error;
  }

  /**
   * When a user out of attempts may try again: at the end of the lock, or,
   * while attempts of a full window are still being checked, at the window's end.
   */
  private nextAdmission(user: UserDocument, now: Date): Date {
    if (user.lockUntil !== undefined && user.lockUntil > now) return user.lockUntil;
    const { windowStart } = user.failedAttempts;
    return windowStart === undefined ? now : new Date(Math.max(now.getTime(), windowStart.getTime() + this.deps.lockout.windowMs));
  }

  /**
   * The attempt that filled the window locks the user when it fails, unless a
   * success has cleared the count meanwhile; the earlier ones need not check.
   */
  private async fail(user: UserDocument, now: Date, actor: string): Promise<void> {
    const { threshold, durationMs } = this.deps.lockout;
    const count = user.failedAttempts.count;
    const lockUntil = new Date(now.getTime() + durationMs);
    const locked = count >= threshold && (await this.deps.store.lockIfExhausted(user._id, threshold, lockUntil));
    const reason = user.password === undefined ? "NO_PASSWORD" : "INVALID_CREDENTIALS";
    await this.log(user._id, UserLogEvent.SIGN_IN_FAILED, UserLogResult.FAILURE, actor, { reason });
    if (locked) await this.log(user._id, UserLogEvent.USER_LOCKED, UserLogResult.SUCCESS, actor, { failures: count, lockExpireTime: lockUntil.toISOString() });
  }

  private lockedError(until: Date): DomainError {
    return failedPrecondition("USER_LOCKED", "too many failed attempts; the user is locked", { lock_expire_time: until.toISOString() });
  }

  async unlock(id: string, actor: string): Promise<UserDocument> {
    const user = await this.deps.users.get(id);
    const locked = user.lockUntil !== undefined && user.lockUntil > this.now();
    const patch = { set: { failedAttempts: { count: 0 }, updateTime: this.now() }, unset: ["lockUntil" as const] };
    if (!locked) return (await this.deps.store.patch(id, patch)) ?? user;
    return this.deps.users.patchLogged(id, patch, actor, UserLogEvent.USER_UNLOCKED, {});
  }

  async createResetCode(id: string, actor: string): Promise<{ code: string; expireTime: Date }> {
    const user = await this.deps.users.get(id);
    if (user.suspended) throw failedPrecondition("USER_SUSPENDED", "the user is suspended");
    const { code, hash } = newResetCode();
    const expireTime = new Date(this.now().getTime() + this.deps.resetCodeTtlMs);
    await this.deps.users.patchLogged(id, { set: { resetCode: { hash, expireTime } } }, actor, UserLogEvent.PASSWORD_RESET_REQUESTED, {
      expireTime: expireTime.toISOString(),
    });
    return { code, expireTime };
  }

  /**
   * The policy is checked before the code is taken, so a refused password
   * leaves the code usable. Guesses are limited per client address and per
   * target (the code's user when the code is known, else the code), before
   * any password is hashed.
   */
  async consumeResetCode(code: string, newPassword: string, actor: string, origin: CallOrigin): Promise<UserDocument> {
    if (code === "" || code.length > 256) throw invalidField("code", "must be 1-256 characters");
    const attempt = await this.deps.resetThrottle.begin(origin);
    try {
      const hash = hashResetCode(code);
      const user = await this.deps.store.findByResetCode(hash);
      await attempt.charge(user === null ? `code:${hash}` : `user:${user._id}`);
      const password = await this.deps.passwords.prepare({ kind: "password", password: newPassword }, "", "new_password");
      if (user?.suspended === true) throw failedPrecondition("USER_SUSPENDED", "the user is suspended");
      const now = this.now();
      const updated = await this.deps.store.consumeResetCode(hash, now, {
        set: { password: { ...password, setTime: now }, failedAttempts: { count: 0 }, updateTime: now },
      });
      if (updated === null) {
        attempt.fail("RESET_CODE_INVALID", user === null ? undefined : { userId: user._id });
        if (user !== null) await this.log(user._id, UserLogEvent.PASSWORD_RESET, UserLogResult.FAILURE, actor, { reason: "RESET_CODE_INVALID" });
        throw new DomainError("unauthenticated", { reason: "RESET_CODE_INVALID", message: "the reset code is invalid or expired" });
      }
      await this.log(updated._id, UserLogEvent.PASSWORD_RESET, UserLogResult.SUCCESS, actor, {});
      return updated;
    } finally {
      await attempt.end();
    }
  }

  private log(userId: string, eventType: UserLogEvent, result: UserLogResult, actor: string, payload: Record<string, unknown>) {
    return this.deps.appendLog({ userId, eventType, actor, result, payload });
  }
}
