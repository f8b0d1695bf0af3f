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
  it("when the deadline passed then the status is DEADLINE_EXCEEDED, and CANCELLED for any other abort", () => {
    const deadline = new AbortController();
    deadline.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded));
    const hungUp = new AbortController();
    hungUp.abort(new Error("socket closed"));
    expect([abortStatus(deadline.signal).code, abortStatus(hungUp.signal).code]).toEqual([Code.DeadlineExceeded, Code.Canceled]);
  });
});
