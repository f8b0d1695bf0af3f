import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { abortStatus, untilStopped } from "./call-cancellation.js";

/** A source that yields `first` and then waits forever, as a watch between entries does. */
async function* oneThenWait(first: string): AsyncGenerator<string> {
  yield first;
  await new Promise(() => undefined);
}

describe("untilStopped", () => {
  it("when the server stops while the source waits then the stream ends with UNAVAILABLE", async () => {
    const stopping = new AbortController();
    const stream = untilStopped(oneThenWait("a"), stopping.signal);
    expect(await stream.next()).toEqual({ done: false, value: "a" });
    const next = stream.next();
    stopping.abort();
    await expect(next).rejects.toMatchObject({ code: Code.Unavailable });
  });

  it("when the source reacts to the stop with one last message then that message still goes out first", async () => {
    const stopping = new AbortController();
    async function* lastWord(): AsyncGenerator<string> {
      await new Promise((resolve) => stopping.signal.addEventListener("abort", resolve));
      yield "NOT_SERVING";
    }
    const stream = untilStopped(lastWord(), stopping.signal);
    const next = stream.next();
    stopping.abort();
    expect(await next).toEqual({ done: false, value: "NOT_SERVING" });
    await expect(stream.next()).rejects.toMatchObject({ code: Code.Unavailable });
  });
});

describe("abortStatus", () => {
  const aborted = (reason: unknown, remainingMs?: number) => {
    const controller = new AbortController();
    controller.abort(reason);
    return { signal: controller.signal, timeoutMs: () => remainingMs };
  };

  it("when the deadline passed, or the client cancelled right at it, then the status is DEADLINE_EXCEEDED", () => {
    expect(abortStatus(aborted(new ConnectError("the operation timed out", Code.DeadlineExceeded))).code).toBe(
      Code.DeadlineExceeded,
    );
    expect(abortStatus(aborted(new ConnectError("stream reset", Code.Canceled), 3)).code).toBe(Code.DeadlineExceeded);
  });

  it("when the client cancelled well before any deadline, or the abort says nothing, then the status is CANCELLED", () => {
    expect(abortStatus(aborted(new ConnectError("stream reset", Code.Canceled), 5_000)).code).toBe(Code.Canceled);
    expect(abortStatus(aborted(new Error("socket closed"))).code).toBe(Code.Canceled);
  });
});
