/** What one item of a shared round trip came to: its own value, or its own error. */
export type ItemOutcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

/** The most items one round trip carries; a busier moment sends several, one after another. */
export const maxItemsPerRoundTrip = 500;

interface Batch<T, R> {
  items: T[];
  callers: { resolve: (value: R) => void; reject: (error: unknown) => void }[];
}

/**
 * Group commit: an item waits while a round trip is under way, and every item
 * that arrived meanwhile goes in the next single one, so concurrent calls
 * share it (an item that finds none under way leaves at once, alone). Each
 * call settles once the round trip holding its item has returned: with its
 * own outcome when `send` gives one per item (in order), and with the round
 * trip's error, for every call in it, when `send` throws.
 */
export function shareRoundTrips<T, R>(
  send: (items: readonly T[]) => Promise<readonly ItemOutcome<R>[]>,
): (item: T) => Promise<R> {
  let waiting: Batch<T, R> | undefined;
  let sending: Promise<void> = Promise.resolve();
  const run = async (batch: Batch<T, R>) => {
    // The batch is closed to newcomers from here on.
    if (waiting === batch) waiting = undefined;
    try {
      const outcomes = await send(batch.items);
      batch.callers.forEach(({ resolve, reject }, i) => {
        const outcome = outcomes[i];
        if (outcome === undefined) reject(new Error("a shared round trip returned no outcome for an item"));
        else if (outcome.ok) resolve(outcome.value);
        else reject(outcome.error);
      });
    } catch (err) {
      for (const { reject } of batch.callers) reject(err);
    }
  };
  return (item) =>
    new Promise<R>((resolve, reject) => {
      if (waiting === undefined || waiting.items.length >= maxItemsPerRoundTrip) {
        const batch: Batch<T, R> = { items: [], callers: [] };
        waiting = batch;
        // `run` never rejects: each batch starts once the one before it has settled, whatever its outcome.
        sending = sending.then(() => run(batch));
      }
      waiting.items.push(item);
      waiting.callers.push({ resolve, reject });
    });
}

/** For a round trip that stores every item or fails as a whole: every item's outcome is success. */
export const allOrNothing =
  <T>(send: (items: readonly T[]) => Promise<void>) =>
  async (items: readonly T[]): Promise<ItemOutcome<void>[]> => {
    await send(items);
    return items.map(() => ({ ok: true, value: undefined }));
  };
