import { LRUCache } from "lru-cache";
import type { UserAccess } from "./user-directory.js";

export interface UserAccessCopyOptions {
  /** The round trip to user-service, the source of truth: undefined when the user does not exist. */
  fetch(userId: string): Promise<UserAccess | undefined>;
  /** How many users the copy holds at most; the least recently used go first. */
  maxUsers: number;
  /** How many feeds (one per user-service instance) must all be live for the copy to be trusted. */
  feeds: number;
  /** A monotonic clock in milliseconds. */
  now?: () => number;
}

/** What another cache kept current by the same feeds needs of the copy, so it is trusted exactly when the copy is. */
export interface FeedTrust {
  /** Whether held answers may be given now: every feed subscribed and its lease unexpired. */
  readonly trusted: boolean;
  /** Whether every feed is subscribed, so a fetch that nothing overlapped may be kept. */
  readonly live: boolean;
  /** Raised by every change, subscription and loss: a fetch that started under another may be stale. */
  readonly generation: number;
  /** `forget(userId)` runs on every change of that user, `forget(undefined)` whenever the copy drops everything. */
  onForget(forget: (userId: string | undefined) => void): void;
}

interface FeedState {
  /** The current subscription; undefined while there is none. */
  subscription: string | undefined;
  /** On `now()`'s clock: the copy may be trusted before this, for this feed. */
  trustedUntil: number;
}

/**
 * token-service's copy of user access, kept current by the user-access change
 * feeds. It answers only while every feed is subscribed and holds an
 * unexpired lease; otherwise, and for every user it does not hold, the call
 * goes to user-service (and, if nothing changed meanwhile, the answer is kept).
 * Nothing is ever answered from the copy that user-service has since taken
 * away and acknowledged: every change evicts before it is acknowledged, a
 * fetch that overlapped a change (or a resubscription) is not kept, and a
 * lapsed lease stops all answers from the copy at the moment user-service
 * counts on. Unknown users are never kept, so a new user needs no change.
 */
export function createUserAccessCopy(options: UserAccessCopyOptions) {
  const now = options.now ?? (() => performance.now());
  // A use only moves the user in lru-cache's list: refreshing by Map delete and set instead leaves a deleted entry in
  // the key's hash chain every time, so a busy user's calls each got slower than the last until the Map was rehashed.
  const entries = new LRUCache<string, UserAccess>({ max: Math.max(1, options.maxUsers) });
  const feeds: FeedState[] = Array.from({ length: options.feeds }, () => ({
    subscription: undefined,
    trustedUntil: 0,
  }));
  /** Raised by every change, subscription and loss: a fetch started under another generation may be stale. */
  let generation = 0;
  const followers: ((userId: string | undefined) => void)[] = [];

  // Without any feed (turned off) nothing is ever kept or trusted.
  const subscribedAll = () => feeds.length > 0 && feeds.every((f) => f.subscription !== undefined);
  const trusted = () => {
    const at = now();
    return feeds.length > 0 && feeds.every((f) => f.subscription !== undefined && at < f.trustedUntil);
  };
  const forget = () => {
    generation += 1;
    entries.clear();
    for (const follower of followers) follower(undefined);
  };
  const keep = (userId: string, access: UserAccess) => {
    if (options.maxUsers > 0) entries.set(userId, access);
  };

  return {
    /** The user's access now: from the copy when it can be trusted, else from user-service. */
    async accessOf(userId: string): Promise<UserAccess | undefined> {
      if (trusted()) {
        const held = entries.get(userId);
        if (held !== undefined) return held;
      }
      const startedIn = generation;
      const live = subscribedAll();
      const access = await options.fetch(userId);
      if (access !== undefined && live && startedIn === generation) keep(userId, access);
      return access;
    },

    /**
     * Keeps users' access from a listing of every user (see startAccessPreload) whose read began
     * when the copy's generation was `startedIn`: only while every feed is subscribed and if no
     * change, subscription or loss came in since, so nothing a change took away is kept. Users
     * held already keep their entry, and the listing fills the copy up to `maxUsers` without
     * evicting anyone. False when nothing was kept (the page must be read again).
     */
    keepListed(accesses: readonly UserAccess[], startedIn: number): boolean {
      if (!subscribedAll() || startedIn !== generation) return false;
      for (const access of accesses) {
        if (entries.size >= options.maxUsers) break;
        if (!entries.has(access.id)) entries.set(access.id, access);
      }
      return true;
    },

    /** Whether the copy holds as many users as it may. */
    get full(): boolean {
      return entries.size >= options.maxUsers;
    },

    /** Feed `feed` has a new subscription: whatever changed while it had none is unknown, so the copy starts empty. */
    subscribed(feed: number, subscription: string): void {
      const state = feeds[feed];
      if (state === undefined) return;
      state.subscription = subscription;
      state.trustedUntil = 0;
      forget();
    },

    /**
     * User-service confirmed a lease asked for at `sentAt` (on `now()`'s
     * clock, taken before the request left): the copy may be trusted until
     * `sentAt + leaseMs`, if the subscription is still the current one.
     */
    leaseConfirmed(feed: number, subscription: string, sentAt: number, leaseMs: number): void {
      const state = feeds[feed];
      if (state === undefined || state.subscription !== subscription) return;
      state.trustedUntil = Math.max(state.trustedUntil, sentAt + leaseMs);
    },

    /** A user's access changed (undefined: anyone's); applied before it is acknowledged. */
    changed(userId: string | undefined): void {
      generation += 1;
      if (userId === undefined) entries.clear();
      else entries.delete(userId);
      for (const follower of followers) follower(userId);
    },

    onForget(forget: (userId: string | undefined) => void): void {
      followers.push(forget);
    },

    get live(): boolean {
      return subscribedAll();
    },

    get generation(): number {
      return generation;
    },

    /** Feed `feed` broke or was cut off: nothing is trusted until it has subscribed again. */
    lost(feed: number): void {
      const state = feeds[feed];
      if (state === undefined) return;
      state.subscription = undefined;
      state.trustedUntil = 0;
      forget();
    },

    /** Whether calls are answered from the copy now. */
    get trusted(): boolean {
      return trusted();
    },

    get size(): number {
      return entries.size;
    },
  };
}

export type UserAccessCopy = ReturnType<typeof createUserAccessCopy>;
