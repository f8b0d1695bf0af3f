import { RateLimiterMemory } from "rate-limiter-flexible";
import type { AuthFailures, CredentialKind } from "./auth-failures.js";
import type { CallOrigin } from "./client-address.js";
import { rateLimited } from "./domain-error.js";

export interface CredentialThrottlePolicy {
  /** Failed attempts per minute from one client address; 0 means no limit. */
  perAddress: number;
  /** Failed attempts per minute on one target (a PAT, a user, a reset code); 0 means no limit. */
  perTarget: number;
}

/**
 * One use of a credential. Only a failed use counts against the limits, when
 * it ends, so a good credential is never slowed down by its own use, however
 * many of its calls are in flight at once.
 */
export interface CredentialAttempt {
  /** Checks these targets' limits too; RESOURCE_EXHAUSTED `RATE_LIMITED` when one has no attempts left. */
  charge(...targets: string[]): Promise<void>;
  /** The credential was refused: reported to AuthFailures, and counted against the address and targets when the attempt ends. */
  fail(reason: string, subject?: Readonly<Record<string, string>>): void;
  end(): Promise<void>;
}

export interface CredentialThrottle {
  /** Starts an attempt from `origin`; RESOURCE_EXHAUSTED `RATE_LIMITED` when its address has no attempts left. */
  begin(origin: CallOrigin): Promise<CredentialAttempt>;
}

/**
 * Per-process limits on guessing one kind of credential, in fixed one-minute
 * windows (rate-limiter-flexible, in memory): per client address and per
 * target. N instances allow N times the limits. Attempts already in flight
 * when a limit is reached still finish, so failures can pass a limit by at
 * most the number of attempts in flight at once (a server's stream limit).
 */
export function createCredentialThrottle(
  credential: CredentialKind,
  policy: CredentialThrottlePolicy,
  failures: AuthFailures,
): CredentialThrottle {
  const byAddress = limiter(policy.perAddress);
  const byTarget = limiter(policy.perTarget);

  return {
    async begin(origin) {
      const refused = (retryAfterMs: number) => {
        failures.record({ credential, reason: "RATE_LIMITED", origin });
        return rateLimited("too many failed attempts; retry later", retryAfterMs);
      };
      const wait = await exhausted(byAddress, origin.address);
      if (wait !== undefined) throw refused(wait);
      const targets: string[] = [];
      let failed = false;
      return {
        async charge(...keys) {
          for (const key of keys) {
            const delay = await exhausted(byTarget, key);
            if (delay !== undefined) throw refused(delay);
            targets.push(key);
          }
        },
        fail(reason, subject) {
          failed = true;
          failures.record({ credential, reason, origin, subject });
        },
        async end() {
          if (!failed) return;
          await Promise.all([count(byAddress, origin.address), ...targets.map((key) => count(byTarget, key))]);
        },
      };
    },
  };
}

function limiter(perMinute: number): RateLimiterMemory | undefined {
  return perMinute === 0 ? undefined : new RateLimiterMemory({ points: perMinute, duration: 60 });
}

/** Undefined while `key` has failures left in this window, else the milliseconds until the window ends. */
async function exhausted(limiter: RateLimiterMemory | undefined, key: string): Promise<number | undefined> {
  if (limiter === undefined) return undefined;
  const used = await limiter.get(key);
  return used !== null && used.consumedPoints >= limiter.points && used.msBeforeNext > 0
    ? used.msBeforeNext
    : undefined;
}

/** Counts one failure for `key`. */
async function count(limiter: RateLimiterMemory | undefined, key: string): Promise<void> {
  if (limiter !== undefined) await limiter.penalty(key, 1);
}
