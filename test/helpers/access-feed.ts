// A private pair whose user-access feed runs on short timings, with a relay the
// tests can stall between the feed and its subscriber, and a database client
// for changing records behind the feed's back.
import { closeClient, createRoleServiceClient } from "@roster/client";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll } from "vitest";
import type { StackInfo } from "./stack-info.js";
import { startTcpProxy } from "./tcp-proxy.js";
import { startPrivatePair } from "./tokens.js";

/** How long a feed subscription's lease lasts here. */
export const leaseMs = 1_500;
/** How long user-service waits here for a subscriber to acknowledge a change. */
export const ackTimeoutMs = 300;

type Relay = Awaited<ReturnType<typeof startTcpProxy>>;
type Pair = Awaited<ReturnType<typeof startPrivatePair>>;

/**
 * Before the calling file's tests: a relay forwarding to the pair's user-service, and
 * the pair with `env` (given the relay) on the feed's timings. After them: all stopped
 * and `databases` dropped.
 */
export function useFeedPair(
  stack: StackInfo,
  databases: string[],
  env: (relay: Relay) => Record<string, string> = () => ({}),
) {
  const state: { relay?: Relay; pair?: Pair; mongo?: MongoClient } = {};
  beforeAll(async () => {
    state.relay = await startTcpProxy();
    state.pair = await startPrivatePair(stack, {
      USER_SERVICE_ACCESS_FEED_LEASE_MS: String(leaseMs),
      USER_SERVICE_ACCESS_FEED_ACK_TIMEOUT_MS: String(ackTimeoutMs),
      ...env(state.relay),
    });
    state.relay.forwardTo(state.pair.ports.user.grpc);
    state.mongo = await MongoClient.connect(stack.mongodbUri);
  }, 60_000);
  afterAll(async () => {
    await state.pair?.stop();
    await state.relay?.close();
    for (const database of databases) await state.mongo?.db(database).dropDatabase();
    await state.mongo?.close();
  });
  const required = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("useFeedPair: used outside a test");
    return value;
  };
  return {
    get relay() {
      return required(state.relay);
    },
    get pair() {
      return required(state.pair);
    },
    get mongo() {
      return required(state.mongo);
    },
  };
}

/** RoleService clients on `port` over gRPC: one with the management API key, one with the service key. */
export function roleClientsByKey(stack: StackInfo, port: number) {
  const asAdmin = createRoleServiceClient({
    transport: "grpc-js",
    address: `127.0.0.1:${port}`,
    credential: stack.apiKey,
  });
  const asService = createRoleServiceClient({
    transport: "grpc-js",
    address: `127.0.0.1:${port}`,
    credential: stack.serviceKey,
  });
  return { asAdmin, asService, close: () => [asAdmin, asService].forEach(closeClient) };
}
