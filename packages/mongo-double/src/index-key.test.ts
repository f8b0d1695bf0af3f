import { Decimal128, Double, Long } from "bson";
import { describe, expect, it } from "vitest";
import { canonicalKey, indexEntries } from "./index-key.js";

describe("canonicalKey", () => {
  it("when numbers have different BSON types but equal values then their keys are equal", () => {
    const keys = [5, Long.fromNumber(5), new Double(5), Decimal128.fromString("5")].map((n) => canonicalKey(n));
    expect(new Set(keys).size).toBe(1);
  });

  it("when a fold is given then strings differing only by case share a key", () => {
    const fold = (s: string) => s.toLowerCase();
    expect(canonicalKey("Ab", fold)).toBe(canonicalKey("aB", fold));
    expect(canonicalKey("Ab")).not.toBe(canonicalKey("aB"));
  });

  it("when null and missing are indexed then they share a key", () => {
    expect(canonicalKey(null)).toBe(canonicalKey(undefined));
  });
});

describe("indexEntries", () => {
  it("when a field holds an array then each element is its own entry", () => {
    expect(indexEntries({ tags: ["a", "b", "a"] }, ["tags"]).map((entry) => entry.values)).toEqual([["a"], ["b"]]);
  });

  it("when two compound fields hold arrays then indexing fails as with parallel arrays", () => {
    expect(() => indexEntries({ a: [1, 2], b: [3, 4] }, ["a", "b"])).toThrow(/parallel arrays/);
  });
});
