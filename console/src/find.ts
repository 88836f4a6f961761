/** Find-in-transcript over word tokens, so hits map to word times for highlighting and the timeline. */

/** Lower case, without surrounding punctuation: "Dashwood," → "dashwood". */
export const normalize = (text: string): string => text.toLowerCase().replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');

/**
 * Runs of words equal to the query's words, in order: whole words only, so "the" finds "The" and
 * "the," but not "Their" or "other". Returns [first, last] word indexes.
 */
export function findHits(words: readonly string[], query: string): [number, number][] {
  const terms = query.split(/\s+/).map(normalize).filter(Boolean);
  if (terms.length === 0) return [];
  const hits: [number, number][] = [];
  for (let i = 0; i + terms.length <= words.length; i++) {
    if (terms.every((term, k) => words[i + k] === term)) hits.push([i, i + terms.length - 1]);
  }
  return hits;
}
