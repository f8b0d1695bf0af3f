/**
 * Trigrams the way PostgreSQL's pg_trgm makes them: lower-case the text,
 * split it into words of letters and digits, pad each word with two spaces
 * in front and one behind, and take every run of three characters. Stored on
 * each user (a multikey index) so similarity search and word-prefix search
 * find candidates without scanning.
 */

const wordPattern = /[\p{L}\p{N}]+/gu;

/**
 * Lower-cases as trigrams and search keys need: a case-insensitive match of an
 * ASCII letter may also meet the long s (U+017F), which lower-casing keeps.
 */
export function foldCase(text: string): string {
  return text.toLowerCase().replace(/\u017f/g, "s");
}

/** The words pg_trgm would see in `text`: lower-cased runs of letters and digits. */
export function wordsOf(text: string): string[] {
  return foldCase(text).match(wordPattern) ?? [];
}

/** The trigrams of one word; `complete` false leaves off the trailing pad (the word is a prefix). */
export function wordTrigrams(word: string, complete = true): string[] {
  const chars = [" ", " ", ...word, ...(complete ? [" "] : [])];
  const grams: string[] = [];
  for (let i = 0; i + 3 <= chars.length; i++) grams.push(chars.slice(i, i + 3).join(""));
  return grams;
}

/** Distinct trigrams of every word of every value (username, email, phone, name), sorted. */
export function trigramsOf(values: (string | undefined)[]): string[] {
  const grams = new Set<string>();
  for (const value of values) {
    if (value === undefined) continue;
    for (const word of wordsOf(value)) for (const gram of wordTrigrams(word)) grams.add(gram);
  }
  return [...grams].sort();
}

/** pg_trgm's similarity: shared trigrams over the union of both sets, 0 when both are empty. */
export function trigramSimilarity(a: readonly string[], b: readonly string[]): number {
  return similarityTo(b)(a);
}

/** `trigramSimilarity` to one fixed set of trigrams, its set built once for the many values compared with it. */
export function similarityTo(b: readonly string[]): (a: readonly string[]) => number {
  const right = new Set(b);
  return (a) => {
    const left = new Set(a);
    let shared = 0;
    for (const gram of left) if (right.has(gram)) shared++;
    const union = left.size + right.size - shared;
    return union === 0 ? 0 : shared / union;
  };
}

/** Letters from the most to the least used in names and addresses; digits and the rest count as rare. */
const commonLetters = "eainorltsudhcmgkbyvpfwjzxq";

/** How common a trigram likely is: word starts ("  a", " al") are shared by the most users, then common letters. */
function commonness(gram: string): number {
  let sum = 0;
  for (const char of gram) {
    const rank = commonLetters.indexOf(char);
    sum += char === " " ? 100 : rank < 0 ? 0 : commonLetters.length - rank;
  }
  return sum;
}

/**
 * Trigrams ordered likely-rarest first, so an index scanning the first of
 * them hands over the fewest candidates.
 */
export function rarestFirst(grams: readonly string[]): string[] {
  // Each trigram's commonness once, not once per comparison; the sort is stable either way.
  return grams
    .map((gram) => ({ gram, commonness: commonness(gram) }))
    .sort((a, b) => a.commonness - b.commonness)
    .map((g) => g.gram);
}

/**
 * Trigrams every value containing `text` (case-insensitively) has, as
 * pg_trgm finds them for ILIKE '%text%': a run of letters and digits is a
 * whole word where the text goes on past it, so only there does it bring
 * its padded trigrams. Only ASCII text is decided: beyond it, case-insensitive
 * matching can join characters that lower-casing keeps apart. Empty when
 * nothing is known (the value must then be scanned).
 */
export function containedTrigrams(text: string): string[] {
  if (!/^[\x20-\x7e]*$/.test(text)) return [];
  const lower = text.toLowerCase();
  const grams = new Set<string>();
  for (const run of lower.matchAll(/[a-z0-9]+/g)) {
    const start = run.index;
    const end = start + run[0].length;
    const chars = `${start === 0 ? "" : "  "}${run[0]}${end === lower.length ? "" : " "}`;
    for (let i = 0; i + 3 <= chars.length; i++) grams.add(chars.slice(i, i + 3));
  }
  return rarestFirst([...grams]);
}
