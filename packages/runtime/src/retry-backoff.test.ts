import { afterEach, describe, expect, it, vi } from "vitest";
import { retryBackoffMs } from "./retry-backoff.js";

/** The shortest and the longest wait before the next attempt. */
function range(attempts: number, maxMs: number): [number, number] {
  const random = vi.spyOn(Math, "random");
  random.mockReturnValue(0);
  const shortest = retryBackoffMs(attempts, maxMs);
  random.mockReturnValue(1 - Number.EPSILON);
  const longest = retryBackoffMs(attempts, maxMs);
  return [shortest, longest];
}

describe("retryBackoffMs", () => {
  afterEach(() => vi.restoreAllMocks());

  it("when attempts fail then the waits double from 1 s, each drawn between half and all of it", () => {
    expect([0, 1, 2, 3].map((attempts) => range(attempts, 300_000))).toEqual([
      [500, 1000],
      [1000, 2000],
      [2000, 4000],
      [4000, 8000],
    ]);
  });

  it("when the doubling passes the cap then the wait stays between half the cap and the cap, however many attempts failed", () => {
    expect(range(9, 300_000)).toEqual([150_000, 300_000]);
    expect(range(1_000, 300_000)).toEqual([150_000, 300_000]);
  });
});
