import { UserLogEvent, closeClient, createUserServiceClient } from "@roster/client";
import type { ServiceProcess } from "@roster/dev-stack";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callUsers, unique } from "./helpers/users.js";
import { stackInfo } from "./helpers/stack-info.js";
import { startExtraUserService } from "./helpers/extra-services.js";

const stack = stackInfo();

/** Collects the first `count` events of a watch, or fails after `timeoutMs`. */
async function firstEvents(
  client: ReturnType<typeof createUserServiceClient>,
  request: { userId: string; events?: UserLogEvent[] },
  count: number,
  act: () => Promise<unknown>,
): Promise<UserLogEvent[]> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 10_000);
  const seen: UserLogEvent[] = [];
  // From now: whatever `act` writes is streamed, however long the call takes to reach the server.
  const startTime = timestampNow();
  const watching = (async () => {
    for await (const response of client.watchUserLogs(
      { ...request, startTime },
      { signal: abort.signal, timeoutMs: 15_000 },
    )) {
      seen.push(response.userLog?.event ?? UserLogEvent.UNSPECIFIED);
      if (seen.length === count) return;
    }
  })();
  await act();
  try {
    await watching;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return seen;
}

describe("watching user logs", () => {
  const connect = createUserServiceClient({
    transport: "connect",
    baseUrl: `http://127.0.0.1:${stack.user.http}`,
    credential: stack.apiKey,
  });
  let second: ServiceProcess;
  let secondClient: ReturnType<typeof createUserServiceClient>;

  beforeAll(async () => {
    // A second user-service on the same database: entries written there must reach watchers here.
    second = await startExtraUserService(stack);
    secondClient = createUserServiceClient({
      transport: "grpc-js",
      address: `127.0.0.1:${second.grpcPort}`,
      credential: stack.apiKey,
    });
  });

  afterAll(async () => {
    closeClient(connect);
    if (secondClient !== undefined) closeClient(secondClient);
    await second?.stop();
  });

  it("when watching over Connect then new entries stream live, filtered by event", async () => {
    const { user } = await callUsers<{ user: { id: string } }>("createUser", { username: unique("watchc_") });
    const events = await firstEvents(
      connect,
      { userId: user.id, events: [UserLogEvent.USER_UNSUSPENDED] },
      1,
      async () => {
        await callUsers("suspendUser", { userId: user.id });
        await callUsers("unsuspendUser", { userId: user.id });
      },
    );
    expect(events).toEqual([UserLogEvent.USER_UNSUSPENDED]);
  });

  it("when another instance writes the entry then this instance's watchers still get it", async () => {
    const { user } = await callUsers<{ user: { id: string } }>("createUser", { username: unique("watchx_") });
    const events = await firstEvents(connect, { userId: user.id, events: [UserLogEvent.USER_SUSPENDED] }, 1, () =>
      secondClient.suspendUser({ userId: user.id }),
    );
    expect(events).toEqual([UserLogEvent.USER_SUSPENDED]);
  });
});
