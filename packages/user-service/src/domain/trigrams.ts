/**
 * Trigrams the way PostgreSQL's pg_trgm makes them: lower-case the text,
 * split it into words of letters and digits, pad each word with two spaces
 * in front and one behind, and take every run of three characters. Stored on
 * each user (a multikey index) so similarity search and word-prefix search
 * find candidates without scanning.
 */

const wordPattern = /[\p{L}\p{N}]+/gu;

/** The words pg_trgm would see in `text`: lower-cased runs of letters and digits. */
export function wordsOf(text: string): string[] {
  return text.toLowerCase().match(wordPattern) ?? [];
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
  const left = new Set(a);
  const right = new Set(b);
  let shared = 0;
  for (const gram of left) if (right.has(gram)) shared++;
  const union = left.size + right.size - shared;
  return union === 0 ? 0 : shared / union;
}

/** Trigrams ordered likely-rarest first: word starts ("  a", " al") are shared by the most users, so they go last. */
export function rarestFirst(grams: readonly string[]): string[] {
  return [...grams].sort((a, b) => Number(a.startsWith(" ")) - Number(b.startsWith(" ")));
}
