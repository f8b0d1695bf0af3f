import { Decimal128, Double, Long } from "bson";
import { describe, expect, it } from "vitest";
import { canonicalKey, indexEntries, indexValues } from "./index-key.js";

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

describe("indexValues", () => {
  it("when documents put scalars, sub-documents, arrays or nothing on the paths then the tuples are indexEntries' values", () => {
    const docs = [
      { a: 1, b: { c: "x" } },
      { a: [1, 2, 1], b: { c: "x" } },
      { a: { b: [{ c: 1 }, { c: 2 }] } },
      { a: [{ x: 1, y: 2 }, { x: 3 }], b: null },
      { a: [], b: new Date(0) },
      { b: { c: [[1], 2] } },
      { a: "A", b: "b" },
      {},
    ];
    const pathSets = [["a"], ["a", "b.c"], ["a.b.c"], ["a.x", "a.y"], ["a.0", "b"], ["b.c"], ["b", "a"]];
    const fold = (text: string) => text.toLowerCase();
    for (const doc of docs) {
      for (const paths of pathSets) {
        const split = paths.map((path) => path.split("."));
        const expected = (f?: typeof fold) => {
          try {
            return indexEntries(doc, paths, f).map((entry) => entry.values);
          } catch (error) {
            return String(error);
          }
        };
        const actual = (f?: typeof fold) => {
          try {
            return indexValues(doc, split, f);
          } catch (error) {
            return String(error);
          }
        };
        expect([doc, paths, actual()]).toEqual([doc, paths, expected()]);
        expect([doc, paths, actual(fold)]).toEqual([doc, paths, expected(fold)]);
      }
    }
  });
});
