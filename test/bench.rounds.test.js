import { describe, expect, it } from "vitest";
import { median, summarizeRounds } from "../scripts/bench/rounds.js";

const noop = { name: "Health/Check (no-op)", service: "token-service", noop: true };
const create = { name: "CreatePersonalAccessToken", service: "token-service" };

/** One row's run in one round, with the figures the summary reads. */
const run = (row, round, reqPerSec, tokensCpu = 100) => ({
  row,
  round,
  concurrency: 100,
  result: { reqPerSec, refused: 0, p50: 1000 / reqPerSec, p99: 5000 / reqPerSec, cpuMicros: 60 * 1000, answered: 1000 },
  cpuPerCall: { "user-service": 1, "token-service": tokensCpu, bench: 0 },
});

describe("the benchmark's rounds", () => {
  it("when there is an even number of values then the median is the mean of the middle two, ignoring the unmeasured", () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([5, Number.NaN, 1, 3])).toBe(3);
    expect(median([])).toBeNaN();
  });

  it("when the machine slows down in one round then each row is compared with the no-op of its own round", () => {
    // Round 1 runs at full speed, round 2 at half, round 3 at full: every create runs at 40% of its round's no-op.
    const results = [
      run(noop, 0, 10_000),
      run(create, 0, 4_000, 250),
      run(noop, 1, 5_000),
      run(create, 1, 2_000, 260),
      run(noop, 2, 10_000),
      run(create, 2, 4_000, 240),
    ];
    const [noopRow, createRow] = summarizeRounds(results, [noop, create]);
    expect(noopRow.ratio).toBe(1);
    expect(createRow.ratio).toBeCloseTo(0.4);
    expect(createRow.ratioRange[0]).toBeCloseTo(0.4);
    expect(createRow.ratioRange[1]).toBeCloseTo(0.4);
    // The slow round alone, compared with the other rounds' no-op, would read as 20%.
    expect(createRow.result.reqPerSec).toBe(4_000);
    expect(createRow.cpuPerCall["token-service"]).toBe(250);
    expect(createRow.loadPerCall).toBe(60);
  });

  it("when the rounds disagree then the ratio is their median and the range shows the spread", () => {
    const results = [
      run(noop, 0, 10_000),
      run(create, 0, 3_000),
      run(noop, 1, 10_000),
      run(create, 1, 3_500),
      run(noop, 2, 8_000),
      run(create, 2, 3_200),
    ];
    const [, createRow] = summarizeRounds(results, [noop, create]);
    expect(createRow.ratio).toBeCloseTo(0.35);
    expect(createRow.ratioRange[0]).toBeCloseTo(0.3);
    expect(createRow.ratioRange[1]).toBeCloseTo(0.4);
  });
});
