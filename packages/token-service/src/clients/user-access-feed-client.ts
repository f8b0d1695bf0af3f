import { closeClient, createRoleServiceClient } from "@roster/client";
import { peerGrpcTarget, retryBackoffMs, type Logger, type TlsConfig } from "@roster/runtime";
import type { UserAccessCopy } from "../domain/user-access-copy.js";
import { ownConnection } from "./user-directory-client.js";

export interface UserAccessFeedOptions {
  /** One user-service instance's gRPC URL; the copy's feed number `feed` follows it. */
  url: string;
  feed: number;
  copy: UserAccessCopy;
  tls: TlsConfig;
  serviceKey: string | undefined;
  logger: Logger;
  /** A monotonic clock in milliseconds; the copy's. */
  now?: () => number;
}

/** A stream outlives nothing longer than this; it is then opened again (with a fresh copy). */
const streamLifetimeMs = 24 * 3_600_000;
const maxReconnectDelayMs = 5_000;

/**
 * Follows one user-service instance's user-access change feed into the copy:
 * subscribes, applies each change and then acknowledges it, and renews its
 * lease every third of the lease. Any failure (the stream ends or breaks, an
 * acknowledgement is refused or times out) makes the copy stop trusting this
 * feed at once; it then subscribes again, with backoff, and starts afresh.
 */
export function followUserAccessFeed(options: UserAccessFeedOptions): { stop(): void } {
  const { copy, feed, logger } = options;
  const now = options.now ?? (() => performance.now());
  // A connection of its own: a feed that fails or stalls must not put the per-call round trips' channel into backoff.
  const client = createRoleServiceClient({
    ...peerGrpcTarget(options.url, options.tls),
    credential: options.serviceKey,
    channelOptions: ownConnection,
  });
  let stopped = false;
  let current: AbortController | undefined;

  const followOnce = async (): Promise<void> => {
    const controller = new AbortController();
    current = controller;
    let renewal: NodeJS.Timeout | undefined;
    const fail = (err: unknown) => {
      if (controller.signal.aborted) return;
      logger.warn(
        { feed: options.url, err: String(err) },
        "access feed: acknowledgement failed; the copy is not trusted until it resubscribes",
      );
      copy.lost(feed);
      controller.abort();
    };
    try {
      let subscription = "";
      let applied = 0n;
      let leaseMs = 0;
      const acknowledge = () => {
        const sentAt = now();
        client
          .acknowledgeUserAccessChanges(
            { subscriptionId: subscription, sequence: applied },
            { timeoutMs: Math.max(100, Math.floor(leaseMs / 2)), signal: controller.signal },
          )
          .then((reply) => copy.leaseConfirmed(feed, subscription, sentAt, Number(reply.leaseMs)), fail);
      };
      const stream = client.watchUserAccessChanges({}, { timeoutMs: streamLifetimeMs, signal: controller.signal });
      for await (const message of stream) {
        if (message.subscribed) {
          subscription = message.subscriptionId;
          leaseMs = Number(message.leaseMs);
          copy.subscribed(feed, subscription);
          renewal = setInterval(acknowledge, Math.max(50, Math.floor(leaseMs / 3)));
        } else {
          // Applied before it is acknowledged: that order is the feed's whole guarantee.
          copy.changed(message.userId === "" ? undefined : message.userId);
          if (message.sequence > applied) applied = message.sequence;
        }
        acknowledge();
      }
    } catch (err) {
      if (!stopped && !controller.signal.aborted)
        logger.warn({ feed: options.url, err: String(err) }, "access feed: stream lost; resubscribing");
    } finally {
      clearInterval(renewal);
      copy.lost(feed);
      controller.abort();
    }
  };

  void (async () => {
    let failures = 0;
    while (!stopped) {
      const started = now();
      await followOnce();
      if (stopped) break;
      // A stream that lived a while was not a failure to connect.
      failures = now() - started > maxReconnectDelayMs ? 0 : failures + 1;
      await new Promise((resolve) => setTimeout(resolve, retryBackoffMs(failures, maxReconnectDelayMs)));
    }
  })();

  return {
    stop() {
      stopped = true;
      current?.abort();
      closeClient(client);
    },
  };
}
