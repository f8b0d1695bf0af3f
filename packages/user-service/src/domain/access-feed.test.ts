import { createLogger } from "@roster/runtime";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createAccessFeed, type AccessFeedMessage } from "./access-feed.js";

const ackTimeoutMs = 200;
const leaseMs = 1_000;

/** A feed on fake timers, and subscribers that read its stream into arrays. */
function setup() {
  const feed = createAccessFeed({
    ackTimeoutMs,
    leaseMs,
    logger: createLogger("user-service-test", "silent"),
    now: () => Date.now(),
  });
  const subscribe = () => {
    const controller = new AbortController();
    const received: AccessFeedMessage[] = [];
    const reading = (async () => {
      for await (const message of feed.subscribe(controller.signal)) received.push(message);
    })();
    return { received, controller, reading, id: () => received[0]?.subscriptionId ?? "" };
  };
  return { feed, subscribe };
}

/** Whether `promise` has settled, without waiting for it. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await vi.advanceTimersByTimeAsync(0);
  return done;
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("AccessFeed", () => {
  it("when nobody subscribed then a change returns at once", async () => {
    const { feed } = setup();
    expect(await settled(feed.changed("u1"))).toBe(true);
  });

  it("when a subscriber acknowledges a change then it returns then, without waiting for any lease", async () => {
    const { feed, subscribe } = setup();
    const sub = subscribe();
    await vi.advanceTimersByTimeAsync(0);
    expect(sub.received[0]).toMatchObject({ sequence: 0, subscribed: true, leaseMs });
    expect(feed.acknowledge(sub.id(), 0)).toEqual({ leaseMs });
    const change = feed.changed("u1");
    await vi.advanceTimersByTimeAsync(0);
    expect(sub.received[1]).toMatchObject({ sequence: 1, userId: "u1", subscribed: false });
    expect(await settled(change)).toBe(false);
    feed.acknowledge(sub.id(), 1);
    expect(await settled(change)).toBe(true);
  });

  it("when an acknowledgement names an older sequence then the change still waits for its own", async () => {
    const { feed, subscribe } = setup();
    const sub = subscribe();
    await vi.advanceTimersByTimeAsync(0);
    const change = feed.changed(undefined);
    await vi.advanceTimersByTimeAsync(0);
    feed.acknowledge(sub.id(), 0);
    expect(await settled(change)).toBe(false);
    feed.acknowledge(sub.id(), 1);
    expect(await settled(change)).toBe(true);
  });

  it("when a subscriber stops acknowledging then the change returns only once its lease from its last acknowledgement has run out, and it is cut off", async () => {
    const { feed, subscribe } = setup();
    const sub = subscribe();
    await vi.advanceTimersByTimeAsync(0);
    feed.acknowledge(sub.id(), 0);
    const leaseEnds = Date.now() + leaseMs;
    await vi.advanceTimersByTimeAsync(300);
    const change = feed.changed("u1");
    await vi.advanceTimersByTimeAsync(ackTimeoutMs);
    // Cut off: its stream ended, and an acknowledgement can no longer renew its lease.
    expect(feed.subscribers).toBe(0);
    expect(() => feed.acknowledge(sub.id(), 1)).toThrow(expect.objectContaining({ reason: "SUBSCRIPTION_CLOSED" }));
    await vi.advanceTimersByTimeAsync(leaseEnds - Date.now() - 1);
    expect(await settled(change)).toBe(false);
    await vi.advanceTimersByTimeAsync(2);
    expect(await settled(change)).toBe(true);
    await sub.reading;
  });

  it("when a subscriber's stream ends while its lease runs then a later change still waits for that lease", async () => {
    const { feed, subscribe } = setup();
    const sub = subscribe();
    await vi.advanceTimersByTimeAsync(0);
    feed.acknowledge(sub.id(), 0);
    const leaseEnds = Date.now() + leaseMs;
    sub.controller.abort();
    await sub.reading;
    const change = feed.changed("u1");
    await vi.advanceTimersByTimeAsync(leaseEnds - Date.now() - 1);
    expect(await settled(change)).toBe(false);
    await vi.advanceTimersByTimeAsync(2);
    expect(await settled(change)).toBe(true);
  });

  it("when a subscription never existed then its acknowledgement is FAILED_PRECONDITION SUBSCRIPTION_CLOSED", () => {
    const { feed } = setup();
    expect(() => feed.acknowledge("nope", 0)).toThrow(
      expect.objectContaining({ kind: "failed-precondition", reason: "SUBSCRIPTION_CLOSED" }),
    );
  });
});
