import type { HandlerContext } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";

/**
 * At the deadline both sides act: the server's timer ends the call, the
 * client's own timer may reset the stream first, and either may run a little
 * early. A cancel this close to the deadline is the deadline.
 */
export const deadlineSlackMs = 50;

/**
 * The status of a call whose signal aborted: the client cancelled it or its
 * deadline passed. Whatever the handler threw after that is a consequence of
 * the abort, not a server fault.
 */
export function abortStatus(ctx: Pick<HandlerContext, "signal" | "timeoutMs">): ConnectError {
  const reason: unknown = ctx.signal.reason;
  if (reason instanceof ConnectError && reason.code === Code.DeadlineExceeded) return reason;
  const remaining = ctx.timeoutMs();
  if (remaining !== undefined && remaining <= deadlineSlackMs)
    return new ConnectError("the operation timed out", Code.DeadlineExceeded);
  if (reason instanceof ConnectError && reason.code === Code.Canceled) return reason;
  return new ConnectError("the client cancelled the call", Code.Canceled);
}

/** The error open streams end with when the server shuts down: clients reconnect to another instance. */
export function shuttingDown(): ConnectError {
  return new ConnectError("the server is shutting down", Code.Unavailable);
}

/** `ctx` with a signal that also aborts when `stopping` does, so a handler's own waits end at shutdown. */
export function withStopSignal(ctx: HandlerContext, stopping: AbortSignal): HandlerContext {
  const signal = AbortSignal.any([ctx.signal, stopping]);
  return Object.create(ctx, { signal: { value: signal } }) as HandlerContext;
}

const stopped = Symbol("stopped");

/**
 * Passes `source` through until `stopping` aborts, then ends with UNAVAILABLE
 * even if the source is waiting (on the client, on a poll). The cut comes one
 * turn after the abort, so a message the source produced in reaction to the
 * shutdown itself (health's NOT_SERVING) still goes out first.
 */
export async function* untilStopped<T>(source: AsyncIterable<T>, stopping: AbortSignal): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  let onAbort: (() => void) | undefined;
  const stop = new Promise<typeof stopped>((resolve) => {
    onAbort = () => setImmediate(() => resolve(stopped));
    if (stopping.aborted) onAbort();
    else stopping.addEventListener("abort", onAbort, { once: true });
  });
  let finished = false;
  try {
    for (;;) {
      const next = await Promise.race([it.next(), stop]);
      if (next === stopped) throw shuttingDown();
      if (next.done === true) {
        finished = true;
        break;
      }
      yield next.value;
    }
  } finally {
    if (onAbort !== undefined) stopping.removeEventListener("abort", onAbort);
    // The source may be suspended in an await; its return runs once that settles.
    if (!finished) it.return?.().catch(() => undefined);
  }
  if (stopping.aborted) throw shuttingDown();
}
