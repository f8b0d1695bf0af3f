import { describe, expect, it } from "vitest";
import { pooledRandomBytes } from "./random-pool.js";

describe("pooled random bytes", () => {
  it("when many draws span several refills then each has its size and no two overlap or repeat", () => {
    const draws = Array.from({ length: 2_000 }, (_, i) => pooledRandomBytes(1 + (i % 90)));
    draws.forEach((bytes, i) => expect(bytes.length).toBe(1 + (i % 90)));
    const long = draws.filter((bytes) => bytes.length >= 16).map((bytes) => bytes.toString("hex"));
    expect(new Set(long).size).toBe(long.length);
  });

  it("when a draw is changed by its caller then later draws are not", () => {
    const first = pooledRandomBytes(32);
    first.fill(0);
    const next = pooledRandomBytes(32);
    expect(next.equals(Buffer.alloc(32))).toBe(false);
  });

  it("when more than the pool is asked for then all of it comes", () => {
    expect(pooledRandomBytes(10_000).length).toBe(10_000);
  });
});
