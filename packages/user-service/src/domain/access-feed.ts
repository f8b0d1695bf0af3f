import { randomUUID } from "node:crypto";
import type { Logger } from "@roster/runtime";
import { failedPrecondition } from "@roster/runtime/domain-error";

/** One message of a subscription's stream. */
export interface AccessFeedMessage {
  subscriptionId: string;
  sequence: number;
  /** The user whose access changed; undefined for "every user" and for the first message. */
  userId: string | undefined;
  /** True only for the first message, which carries the lease length and no change. */
  subscribed: boolean;
  leaseMs: number;
}

export interface AccessFeedOptions {
  /** How long a change waits for each subscriber's acknowledgement before cutting it off. */
  ackTimeoutMs: number;
  /** How long an acknowledgement lets its subscriber trust its copy, from when it was received here. */
  leaseMs: number;
  logger: Logger;
  /** A monotonic clock in milliseconds. */
  now?: () => number;
}

interface Subscription {
  readonly id: string;
  sent: number;
  acked: number;
  /** On the feed's clock: until when the subscriber may still trust its copy (0 before its first acknowledgement). */
  leaseUntil: number;
  closed: boolean;
  readonly outbox: AccessFeedMessage[];
  /** Settles at the next `notify()`: a message was queued, an acknowledgement came, or the subscription closed. */
  readonly signal: Promise<void>;
  notify(): void;
}

function createSubscription(): Subscription {
  let wake: () => void = () => {};
  const nextSignal = () => new Promise<void>((resolve) => (wake = resolve));
  let signal = nextSignal();
  return {
    id: randomUUID(),
    sent: 0,
    acked: 0,
    leaseUntil: 0,
    closed: false,
    outbox: [],
    get signal() {
      return signal;
    },
    notify() {
      const woken = wake;
      signal = nextSignal();
      woken();
    },
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The user-access change feed: subscribers (token-service instances holding
 * a copy of user access) get every change made through this instance, and a
 * change returns only once each has acknowledged it or surely stopped
 * trusting its copy. A subscriber that does not acknowledge within
 * `ackTimeoutMs` is cut off (its later acknowledgements are refused, so its
 * lease cannot be renewed), and the change waits until its lease has run out.
 * Leases run from when an acknowledgement is received here, which is never
 * earlier than when the subscriber sent it (the subscriber's own reckoning),
 * so this side's deadline is never the earlier of the two.
 */
export function createAccessFeed(options: AccessFeedOptions) {
  const live = new Map<string, Subscription>();
  /** Closed subscriptions whose lease has not run out yet: a change must outwait them too. */
  const lapsing = new Set<Subscription>();
  const now = options.now ?? (() => performance.now());

  /** The stream of one subscription: its first message, then every change, until `signal` aborts. */
  async function* subscribe(signal: AbortSignal): AsyncGenerator<AccessFeedMessage> {
    const sub = createSubscription();
    live.set(sub.id, sub);
    const onAbort = () => close(sub);
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      yield { subscriptionId: sub.id, sequence: 0, userId: undefined, subscribed: true, leaseMs: options.leaseMs };
      while (!sub.closed) {
        const next = sub.outbox.shift();
        if (next !== undefined) yield next;
        else await sub.signal;
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
      close(sub);
    }
  }

  /** Records that the subscriber applied every change up to `sequence`, and renews its lease from now. */
  function acknowledge(subscriptionId: string, sequence: number): { leaseMs: number } {
    const sub = live.get(subscriptionId);
    if (sub === undefined)
      throw failedPrecondition("SUBSCRIPTION_CLOSED", "the subscription was closed or cut off; subscribe again");
    sub.leaseUntil = now() + options.leaseMs;
    if (sequence > sub.acked) {
      sub.acked = Math.min(sequence, sub.sent);
      sub.notify();
    }
    return { leaseMs: options.leaseMs };
  }

  /** Publishes a change (undefined: every user) and resolves once no subscriber can still answer from what it took away. */
  async function changed(userId: string | undefined): Promise<void> {
    const waits = [...live.values()].map((sub) => deliver(sub, userId));
    for (const sub of lapsing) waits.push(outlive(sub));
    await Promise.all(waits);
  }

  async function deliver(sub: Subscription, userId: string | undefined): Promise<void> {
    sub.sent += 1;
    const sequence = sub.sent;
    sub.outbox.push({ subscriptionId: sub.id, sequence, userId, subscribed: false, leaseMs: options.leaseMs });
    sub.notify();
    const deadline = now() + options.ackTimeoutMs;
    while (sub.acked < sequence && !sub.closed) {
      const left = deadline - now();
      if (left <= 0) {
        options.logger.warn(
          { subscriptionId: sub.id, sequence },
          "access feed: subscriber did not acknowledge in time; cutting it off",
        );
        close(sub);
        break;
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([sub.signal, new Promise<void>((resolve) => (timer = setTimeout(resolve, left)))]);
      clearTimeout(timer);
    }
    if (sub.acked < sequence) await outlive(sub);
  }

  /** Waits until a closed subscription's lease has run out. */
  async function outlive(sub: Subscription): Promise<void> {
    const left = sub.leaseUntil - now();
    if (left > 0) await sleep(Math.ceil(left) + 1);
  }

  function close(sub: Subscription): void {
    if (sub.closed) return;
    sub.closed = true;
    live.delete(sub.id);
    const left = sub.leaseUntil - now();
    if (left > 0) {
      lapsing.add(sub);
      setTimeout(() => lapsing.delete(sub), Math.ceil(left) + 1).unref();
    }
    sub.notify();
  }
  return {
    subscribe,
    acknowledge,
    changed,
    /** Subscriptions open now. */
    get subscribers(): number {
      return live.size;
    },
  };
}

export type AccessFeed = ReturnType<typeof createAccessFeed>;

/** Publishes that a user's access (undefined: every user's) may have changed, and waits as the feed's `changed` does. */
export type AccessChanged = (userId: string | undefined) => Promise<void>;

/**
 * Runs a mutation of user access, then publishes it, also when the mutation
 * failed part-way or found nothing to do (a concurrent call may have made
 * the change and not published it yet): its caller hears back only once no
 * subscriber can still grant what it took away.
 */
export async function publishingAccess<T>(
  changed: AccessChanged | undefined,
  userId: string | undefined,
  mutate: () => Promise<T>,
): Promise<T> {
  try {
    return await mutate();
  } finally {
    await changed?.(userId);
  }
}
