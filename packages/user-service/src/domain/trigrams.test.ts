import { describe, expect, it } from "vitest";
import { containedTrigrams, rarestFirst, trigramSimilarity, trigramsOf, wordTrigrams, wordsOf } from "./trigrams.js";

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

describe("containedTrigrams", () => {
  it("when text runs on past a word then only the word's inner and bounded trigrams are required", () => {
    expect(containedTrigrams("lice B").sort()).toEqual(["  b", "ce ", "ice", "lic"]);
    expect(containedTrigrams("ic")).toEqual([]);
  });

  it("when text is not ASCII then nothing is required (the value is scanned)", () => {
    expect(containedTrigrams("müller")).toEqual([]);
  });

  it("when any value contains the text, in any case, then it holds every required trigram", () => {
    const values = [
      "Maximilian Oberhausen",
      "O'Brien-Smith, Jr.",
      "alice@example.com",
      "+4930111222",
      "ſam Kelvin",
      "x  y",
      "Zoë Ng",
    ];
    for (const value of values) {
      const held = new Set(trigramsOf([value]));
      for (let start = 0; start < value.length; start++) {
        for (let end = start + 1; end <= value.length; end++) {
          const text = value.slice(start, end);
          for (const variant of [text, text.toUpperCase(), text.toLowerCase()]) {
            for (const gram of containedTrigrams(variant))
              expect(held.has(gram), `${value} / ${variant} / ${gram}`).toBe(true);
          }
        }
      }
    }
  });
});

describe("rarestFirst", () => {
  it("when trigrams differ in commonness then word starts go last and rare letters and digits first", () => {
    expect(rarestFirst(["  a", "ler", "299", " al"])).toEqual(["299", "ler", " al", "  a"]);
  });
});
