import { describe, expect, it } from "vitest";
import { createPerKeyQueue } from "./per-key-queue.js";

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe("createPerKeyQueue", () => {
  it("when tasks share a key then they run one at a time in arrival order, and a failure does not stop the next", async () => {
    const queue = createPerKeyQueue();
    const log: string[] = [];
    let running = 0;
    const task =
      (name: string, fail = false) =>
      async () => {
        running += 1;
        log.push(`start ${name} (${running} running)`);
        await tick();
        running -= 1;
        if (fail) throw new Error(name);
        return name;
      };
    const results = await Promise.allSettled([
      queue("u1", task("a")),
      queue("u1", task("b", true)),
      queue("u1", task("c")),
    ]);
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : String(r.reason)))).toEqual(["a", "Error: b", "c"]);
    expect(log).toEqual(["start a (1 running)", "start b (1 running)", "start c (1 running)"]);
  });

  it("when tasks have different keys then they run at the same time", async () => {
    const queue = createPerKeyQueue();
    let running = 0;
    let most = 0;
    const task = async () => {
      running += 1;
      most = Math.max(most, running);
      await tick();
      running -= 1;
    };
    await Promise.all([queue("u1", task), queue("u2", task), queue("u3", task)]);
    expect(most).toBe(3);
  });
});
