import type { RankSource } from "./search-plan.js";
import { trigramSimilarity, trigramsOf } from "./trigrams.js";

/** The fields relevance to a free-text query is measured on. */
export interface RankedFields {
  _id: string;
  username?: string;
  email?: string;
  phone?: string;
  name?: string;
}

/** One ranked match: its relevance and id. */
export interface Ranked {
  id: string;
  score: number;
}

/**
 * Relevance of a user to the free-text query: 1 when the text is its id, or
 * its username, email, phone or name whole (any case); else the best pg_trgm
 * similarity of the text's trigrams to one of those fields that contains it.
 */
export function freeTextScore(
  node: Extract<RankSource, { kind: "freeText" }>,
  user: RankedFields,
  gramsOf: (value: string) => string[] = (value) => trigramsOf([value]),
): number {
  if (user._id === node.text || (user.phone !== undefined && user.phone === node.phone)) return 1;
  let best = 0;
  for (const value of [user.username, user.email, user.name, user.phone]) {
    if (value === undefined) continue;
    const lower = value.toLowerCase();
    if (lower === node.key) return 1;
    // Only a field the text matched is worth comparing: the others share few of its trigrams.
    if (lower.includes(node.key)) best = Math.max(best, trigramSimilarity(gramsOf(value), node.grams));
  }
  return best;
}

/** Highest relevance first, ties by id: the order ranked pages follow. */
export function byRank(a: Ranked, b: Ranked): number {
  return b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Whether `r` comes after the ranked cursor (score, id) in `byRank` order. */
export function rankedAfter(r: Ranked, cursor: Ranked): boolean {
  return r.score < cursor.score || (r.score === cursor.score && r.id > cursor.id);
}

/** `trigramsOf` of one value, remembered: the matches of one search often share names and domains. */
export function rememberedTrigrams(): (value: string) => string[] {
  const known = new Map<string, string[]>();
  return (value) => {
    let grams = known.get(value);
    if (grams === undefined) known.set(value, (grams = trigramsOf([value])));
    return grams;
  };
}
