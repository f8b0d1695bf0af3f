import { setTimeout as delay } from "node:timers/promises";
import type { Logger } from "@roster/runtime";
import { retryBackoffMs } from "@roster/runtime/retry-backoff";
import type { UserAccessCopy } from "./user-access-copy.js";
import type { ListAccess } from "./user-directory.js";

export interface AccessPreloadOptions {
  copy: Pick<UserAccessCopy, "live" | "generation" | "full" | "size" | "keepListed" | "onForget">;
  /** A page of every user's access (user-service's ListUserAccess). */
  list: ListAccess;
  logger: Logger;
  /** The longest wait between two reads of a page that failed or overlapped a change. */
  maxDelayMs?: number;
  /** Waits `ms`; a timer unless a test says otherwise. */
  sleep?: (ms: number) => Promise<void>;
}

/** A wait that does not keep the process alive. */
const sleepFor = (ms: number): Promise<void> => delay(ms, undefined, { ref: false });

/**
 * Fills the user-access copy with every user's access, a page at a time, each
 * time the copy starts empty (a feed subscribed, or a change of every user's
 * access): the first use of each user's token then needs no round trip to
 * user-service. It never weakens the copy's promise: a page is kept only if
 * no change, subscription or loss came in while it was read (see
 * `keepListed`), and is otherwise read again. Reads that fail or keep
 * overlapping changes wait longer each time (from 1 s up to `maxDelayMs`), so
 * a busy feed costs user-service a bounded number of reads. A load stops at
 * the last page, when the copy is full, or when a feed is lost, and starts
 * over from the first page whenever the copy is emptied again; meanwhile the
 * copy answers as it always does, from user-service for users it lacks. A
 * load that starts while the one before never finished waits first, longer
 * each time, so that changes of every user's access (a caller updating a
 * role again and again) or a flapping feed cannot keep user-service reading
 * every user.
 */
export function startAccessPreload(options: AccessPreloadOptions): { stop(): void } {
  const { copy, list, logger } = options;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  const sleep = options.sleep ?? sleepFor;
  /** Raised whenever the copy is emptied: a load of an earlier run stops. */
  let run = 0;
  let stopped = false;
  /** Whether the last load has not finished (it may have been cut short). */
  let loading = false;
  /** Loads in a row that were cut short: the next one waits longer before its first page. */
  let cutShort = 0;

  const load = async (id: number): Promise<void> => {
    if (cutShort > 0) await sleep(retryBackoffMs(cutShort - 1, maxDelayMs));
    let pageToken = "";
    let setbacks = 0;
    let pages = 0;
    const started = performance.now();
    const finished = () => {
      loading = false;
      cutShort = 0;
      const ms = Math.round(performance.now() - started);
      logger.info({ users: copy.size, pages, ms }, "access copy: loaded every user's access it can hold");
    };
    while (!stopped && id === run && copy.live) {
      if (copy.full) return finished();
      const startedIn = copy.generation;
      let page: Awaited<ReturnType<ListAccess>>;
      try {
        page = await list(pageToken);
      } catch (err) {
        setbacks += 1;
        logger.warn({ err: String(err) }, "access copy: could not read a page of user access; reading it again later");
        await sleep(retryBackoffMs(setbacks - 1, maxDelayMs));
        continue;
      }
      if (stopped || id !== run) return;
      if (!copy.keepListed(page.accesses, startedIn)) {
        // A change came in while the page was read: what it holds may be older than the change.
        setbacks += 1;
        await sleep(retryBackoffMs(setbacks - 1, maxDelayMs));
        continue;
      }
      setbacks = 0;
      pages += 1;
      if (page.nextPageToken === "") return finished();
      pageToken = page.nextPageToken;
    }
  };

  copy.onForget((userId) => {
    if (userId !== undefined || stopped) return;
    if (loading) cutShort += 1;
    loading = true;
    run += 1;
    const id = run;
    // After the call that emptied the copy has returned, so that a new subscription counts as live.
    setImmediate(() => void load(id));
  });

  return {
    stop() {
      stopped = true;
      run += 1;
    },
  };
}
