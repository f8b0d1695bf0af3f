import { describe, expect, it } from "vitest";
import { settleBounded } from "./settle-bounded.js";

describe("settleBounded", () => {
  it("when items finish out of order then results keep item order, failures included", async () => {
    const results = await settleBounded([30, 10, 20], 3, async (ms) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      if (ms === 10) throw new Error("ten");
      return ms;
    });
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message))).toEqual([
      30,
      "ten",
      20,
    ]);
  });

  it("when limited then no more than the limit run at once", async () => {
    let running = 0;
    let peak = 0;
    await settleBounded([...Array(10).keys()], 3, async () => {
      peak = Math.max(peak, ++running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
    });
    expect(peak).toBe(3);
  });

  it("when there is nothing to do then it resolves to nothing", async () => {
    expect(await settleBounded([], 4, async () => 1)).toEqual([]);
  });
});
