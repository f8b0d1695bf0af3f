import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
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
 * One use of a credential, holding its place in the limits while it runs, so
 * concurrent attempts cannot get past a limit that sequential ones would hit.
 * `end()` settles it: a failed attempt keeps its place, any other gives it
 * back, so a good credential is never slowed down by its own use.
 */
export interface CredentialAttempt {
  /** Counts the attempt against these targets too; RESOURCE_EXHAUSTED `RATE_LIMITED` when one has no attempts left. */
  charge(...targets: string[]): Promise<void>;
  /** The credential was refused: reported to AuthFailures, and the attempt keeps counting. */
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
 * target. N instances allow N times the limits.
 */
export function createCredentialThrottle(credential: CredentialKind, policy: CredentialThrottlePolicy, failures: AuthFailures): CredentialThrottle {
  const byAddress = limiter(policy.perAddress);
  const byTarget = limiter(policy.perTarget);

  return {
    async begin(origin) {
      const refused = (retryAfterMs: number) => {
        failures.record({ credential, reason: "RATE_LIMITED", origin });
        return rateLimited("too many failed attempts; retry later", retryAfterMs);
      };
      const wait = await take(byAddress, origin.address);
      if (wait !== undefined) throw refused(wait);
      const targets: string[] = [];
      let failed = false;
      return {
        async charge(...keys) {
          for (const key of keys) {
            const delay = await take(byTarget, key);
            if (delay !== undefined) throw refused(delay);
            targets.push(key);
          }
        },
        fail(reason, subject) {
          failed = true;
          failures.record({ credential, reason, origin, subject });
        },
        async end() {
          if (failed) return;
          await Promise.all([giveBack(byAddress, origin.address), ...targets.map((key) => giveBack(byTarget, key))]);
        },
      };
    },
  };
}

function limiter(perMinute: number): RateLimiterMemory | undefined {
  return perMinute === 0 ? undefined : new RateLimiterMemory({ points: perMinute, duration: 60 });
}

/** Takes one attempt for `key`: undefined when granted, else the milliseconds until the window ends (the refused attempt is not counted). */
async function take(limiter: RateLimiterMemory | undefined, key: string): Promise<number | undefined> {
  if (limiter === undefined) return undefined;
  try {
    await limiter.consume(key);
    return undefined;
  } catch (err) {
    if (!(err instanceof RateLimiterRes)) throw err;
    await limiter.reward(key);
    return err.msBeforeNext;
  }
}

/** Gives an attempt back, unless its window has ended meanwhile (a reward then would lend the next window an extra attempt). */
async function giveBack(limiter: RateLimiterMemory | undefined, key: string): Promise<void> {
  if (limiter === undefined) return;
  const current = await limiter.get(key);
  if (current !== null && current.consumedPoints > 0 && current.msBeforeNext > 0) await limiter.reward(key);
}
