import type { ServiceImpl } from "@connectrpc/connect";
import type { RoleService } from "@roster/client";
import { invalidField } from "@roster/runtime/domain-error";
import { requireId } from "@roster/runtime/resource-id";
import type { AccessFeed } from "../domain/access-feed.js";

type FeedHandlers = Pick<
  ServiceImpl<typeof RoleService>,
  "watchUserAccessChanges" | "acknowledgeUserAccessChanges" | "publishUserTokensChanged"
>;

/** The user-access change feed's handlers (RoleService's service-only methods). */
export function createAccessFeedHandlers(feed: AccessFeed): FeedHandlers {
  return {
    async *watchUserAccessChanges(_request, ctx) {
      for await (const message of feed.subscribe(ctx.signal)) {
        yield {
          subscriptionId: message.subscriptionId,
          sequence: BigInt(message.sequence),
          userId: message.userId ?? "",
          subscribed: message.subscribed,
          leaseMs: message.subscribed ? BigInt(message.leaseMs) : 0n,
        };
      }
    },
    async acknowledgeUserAccessChanges(request) {
      requireId("subscription_id", request.subscriptionId);
      if (request.sequence < 0n) throw invalidField("sequence", "must not be negative");
      const { leaseMs } = feed.acknowledge(request.subscriptionId, Number(request.sequence));
      return { leaseMs: BigInt(leaseMs) };
    },
    // The user may already be gone (its tokens are cleaned up after it): only the id's shape is checked.
    async publishUserTokensChanged(request) {
      requireId("user_id", request.userId);
      await feed.changed(request.userId);
      return {};
    },
  };
}
