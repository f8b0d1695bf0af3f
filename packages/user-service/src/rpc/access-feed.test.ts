import { create } from "@bufbuild/protobuf";
import { PublishUserTokensChangedRequestSchema } from "@roster/client";
import { createLogger } from "@roster/runtime";
import { isDomainError } from "@roster/runtime/domain-error";
import { describe, expect, it } from "vitest";
import { createAccessFeed, type AccessFeedMessage } from "../domain/access-feed.js";
import { createAccessFeedHandlers } from "./access-feed.js";

const context = undefined as never;

function setup() {
  const feed = createAccessFeed({
    ackTimeoutMs: 5_000,
    leaseMs: 10_000,
    logger: createLogger("user-service-test", "silent"),
  });
  const handlers = createAccessFeedHandlers(feed);
  const controller = new AbortController();
  const received: AccessFeedMessage[] = [];
  void (async () => {
    for await (const message of feed.subscribe(controller.signal)) {
      received.push(message);
      if (!message.subscribed) feed.acknowledge(message.subscriptionId, message.sequence);
    }
  })();
  const publish = async (userId: string) =>
    handlers.publishUserTokensChanged(create(PublishUserTokensChangedRequestSchema, { userId }), context);
  return { received, publish, stop: () => controller.abort() };
}

describe("PublishUserTokensChanged", () => {
  it("when a user's tokens changed then every subscription gets a message naming the user, and the call returns once it was acknowledged", async () => {
    const { received, publish, stop } = setup();
    await new Promise((resolve) => setTimeout(resolve, 0));
    await publish("u_1");
    expect(received.map((m) => [m.subscribed, m.userId])).toEqual([
      [true, undefined],
      [false, "u_1"],
    ]);
    stop();
  });

  it("when the user id is empty or too long then it is INVALID_ARGUMENT naming user_id, and nothing is published", async () => {
    const { received, publish, stop } = setup();
    await new Promise((resolve) => setTimeout(resolve, 0));
    for (const userId of ["", "u".repeat(65)]) {
      const err = await publish(userId).catch((e: unknown) => e);
      expect(isDomainError(err) && [err.kind, err.reason, err.fieldViolations.map((v) => v.field)]).toEqual([
        "invalid-argument",
        "INVALID_ARGUMENT",
        ["user_id"],
      ]);
    }
    expect(received.filter((m) => !m.subscribed)).toEqual([]);
    stop();
  });
});
