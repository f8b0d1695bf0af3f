/**
 * The wait before attempt `attempts + 1` of background work that must
 * eventually succeed: exponential from 1 s, capped at `maxMs`, with jitter so
 * many instances do not retry in lockstep.
 */
export function retryBackoffMs(attempts: number, maxMs: number): number {
  const base = Math.min(maxMs, 1000 * 2 ** Math.min(attempts, 20));
  return Math.round(base * (0.5 + Math.random() / 2));
}
