// The benchmark's rounds in one table: each row once per round, in turn, summarized by medians.

/** The median of the finite values (NaN when there is none). */
export const median = (values) => {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/**
 * Each row's rounds in one: the median of each figure, and its ratio to the no-op as the median of
 * its rounds' ratios, each to the no-op of the same service in the same round (with their range).
 */
export function summarizeRounds(results, cases) {
  const noop = new Map(
    results.filter((r) => r.row.noop).map((r) => [`${r.row.service} ${r.round}`, r.result.reqPerSec]),
  );
  return cases.map((row) => {
    const runs = results.filter((r) => r.row === row);
    const ratios = runs.map((r) => r.result.reqPerSec / noop.get(`${row.service} ${r.round}`));
    const of = (pick) => median(runs.map(pick));
    return {
      row,
      concurrency: runs[0].concurrency,
      result: {
        reqPerSec: of((r) => r.result.reqPerSec),
        refused: of((r) => r.result.refused ?? 0),
        p50: of((r) => r.result.p50),
        p99: of((r) => r.result.p99),
      },
      ratio: median(ratios),
      ratioRange: [Math.min(...ratios), Math.max(...ratios)],
      cpuPerCall: Object.fromEntries(
        Object.keys(runs[0].cpuPerCall).map((name) => [name, of((r) => r.cpuPerCall[name])]),
      ),
      loadPerCall: of((r) => r.result.cpuMicros / r.result.answered),
    };
  });
}
