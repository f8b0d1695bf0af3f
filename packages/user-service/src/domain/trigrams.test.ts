import { describe, expect, it } from "vitest";
import { trigramSimilarity, trigramsOf, wordTrigrams, wordsOf } from "./trigrams.js";

describe("trigrams", () => {
  it("when a word is padded then it yields pg_trgm's trigrams", () => {
    expect(wordTrigrams("cat")).toEqual(["  c", " ca", "cat", "at "]);
    expect(wordTrigrams("cat", false)).toEqual(["  c", " ca", "cat"]);
  });

  it("when values hold several words then trigrams are distinct, lower-cased and sorted", () => {
    const grams = trigramsOf(["Cat", undefined, "cat@CAT.io"]);
    expect(grams).toEqual([...new Set(grams)].sort());
    expect(grams).toContain("cat");
    expect(grams).toContain("  i");
    expect(grams.every((g) => g === g.toLowerCase())).toBe(true);
  });

  it("when text has non-ASCII letters then they stay inside words", () => {
    expect(wordsOf("Jürgen O'Brien +49 30")).toEqual(["jürgen", "o", "brien", "49", "30"]);
  });

  it("when comparing like pg_trgm then similarity is shared over union", () => {
    // pg_trgm: similarity('word', 'two words') = 0.363636
    expect(trigramSimilarity(trigramsOf(["word"]), trigramsOf(["two words"]))).toBeCloseTo(4 / 11, 5);
    expect(trigramSimilarity(trigramsOf(["alice"]), trigramsOf(["alice"]))).toBe(1);
    expect(trigramSimilarity([], [])).toBe(0);
  });

  it("when there are no letters or digits then there are no trigrams", () => {
    expect(trigramsOf(["--", ""])).toEqual([]);
  });
});
