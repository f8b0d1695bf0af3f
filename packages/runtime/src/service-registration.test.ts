import { Code, ConnectError, createContextValues, type HandlerContext } from "@connectrpc/connect";
import { UserService, type WatchUserLogsResponse } from "@roster/client";
import { describe, expect, it } from "vitest";
import { recheckKey } from "./caller.js";
import { wrapHandlers } from "./service-registration.js";

describe("wrapHandlers", () => {
  it("when a stream's re-check fails then the message it guarded is not sent and the stream ends with the re-check's status", async () => {
    let revoked = false;
    const registration = wrapHandlers(
      {
        service: UserService,
        impl: {
          async *watchUserLogs() {
            yield { userLog: { id: "first" } } as WatchUserLogsResponse;
            revoked = true;
            yield { userLog: { id: "second" } } as WatchUserLogsResponse;
          },
        },
      },
      { onInternalError: () => undefined },
    );
    const values = createContextValues();
    values.set(recheckKey, async () => {
      if (revoked) throw new ConnectError("revoked", Code.Unauthenticated);
    });
    const sent: string[] = [];
    const stream = registration.impl.watchUserLogs!(
      {} as never,
      { values, signal: new AbortController().signal } as HandlerContext,
    ) as AsyncIterable<WatchUserLogsResponse>;
    const ended = await (async () => {
      for await (const message of stream) sent.push(message.userLog?.id ?? "");
    })().catch((err: unknown) => (err as ConnectError).code);
    expect(sent).toEqual(["first"]);
    expect(ended).toBe(Code.Unauthenticated);
  });
});
