import { describe, expect, it } from "vitest";
import { grpc, serverStream, bearer, timestampNow } from "./helpers/plain-grpc.js";
import { stackInfo } from "./helpers/stack-info.js";
import { callUsers, failureOf, unique, userClient } from "./helpers/users.js";

const stack = stackInfo();

describe("user logs", () => {
  it("when a service key appends an entry then it is listed with the service as actor; a management key may not", async () => {
    const { user } = await callUsers<{ user: { id: string } }>("createUser", { username: unique("log_") });
    const appended = await callUsers<{ userLog: { actor: { type: string } } }>(
      "appendUserLog",
      {
        userId: user.id,
        event: "USER_LOG_EVENT_PAT_CREATED",
        result: "USER_LOG_RESULT_SUCCESS",
        payload: { fields: { name: { stringValue: "ci" } } },
      },
      stack.serviceKey,
    );
    expect(appended.userLog.actor.type).toBe("USER_LOG_ACTOR_TYPE_SERVICE");
    expect((await failureOf(() => callUsers("appendUserLog", { userId: user.id }))).code).toBe(
      grpc.status.PERMISSION_DENIED,
    );
    expect(
      await failureOf(() =>
        callUsers("appendUserLog", { userId: user.id, result: "USER_LOG_RESULT_SUCCESS" }, stack.serviceKey),
      ),
    ).toMatchObject({ fields: ["event"] });
    type Page = { userLogs: { event: string }[]; totalSize: number; totalSizeExact?: boolean; nextPageToken: string };
    const page = await callUsers<Page>("listUserLogs", { userId: user.id, pageSize: 1 });
    expect(page.userLogs.map((l) => l.event)).toEqual(["USER_LOG_EVENT_PAT_CREATED"]);
    // Not counted unless asked for: this page and one more, a lower bound.
    expect([page.totalSize, page.totalSizeExact ?? false]).toEqual([2, false]);
    const counted = await callUsers<Page>("listUserLogs", { userId: user.id, pageSize: 1, includeTotal: true });
    expect([counted.totalSize, counted.totalSizeExact]).toEqual([2, true]);
    const next = await callUsers<{ userLogs: { event: string }[] }>("listUserLogs", {
      userId: user.id,
      pageSize: 1,
      pageToken: page.nextPageToken,
    });
    expect(next.userLogs.map((l) => l.event)).toEqual(["USER_LOG_EVENT_USER_CREATED"]);
    expect(await failureOf(() => callUsers("listUserLogs", { userId: user.id, pageToken: "garbage" }))).toMatchObject({
      reason: "INVALID_PAGE_TOKEN",
    });
  });

  it("when watching over native gRPC then a new entry arrives live", async () => {
    const { user } = await callUsers<{ user: { id: string } }>("createUser", { username: unique("watch_") });
    // From now: the entry below is streamed, however long the call takes to reach the server.
    const stream = serverStream(
      userClient,
      "watchUserLogs",
      { userId: user.id, events: ["USER_LOG_EVENT_USER_SUSPENDED"], startTime: timestampNow() },
      bearer(stack.apiKey),
    );
    const first = new Promise<{ userLog: { event: string } }>((resolve, reject) => {
      stream.once("data", resolve);
      stream.once("error", reject);
    });
    await callUsers("suspendUser", { userId: user.id });
    expect((await first).userLog.event).toBe("USER_LOG_EVENT_USER_SUSPENDED");
    stream.cancel();
    stream.on("error", () => undefined);
  });
});
