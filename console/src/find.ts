/** Find-in-transcript over word tokens, so hits map to word times for highlighting and the timeline. */

/** Lower case, without surrounding punctuation: "Dashwood," → "dashwood". */
export const normalize = (text: string): string => text.toLowerCase().replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');

/**
 * Runs of words matching the query's words in order: whole words, except the last query word,
 * which may be a prefix (typing "dispo" already finds "disposed"). Returns [first, last] word indexes.
 */
export function findHits(words: readonly string[], query: string): [number, number][] {
  const terms = query.split(/\s+/).map(normalize).filter(Boolean);
  if (terms.length === 0) return [];
  const hits: [number, number][] = [];
  const last = terms.length - 1;
  for (let i = 0; i + last < words.length; i++) {
    let ok = true;
    for (let k = 0; k <= last && ok; k++) {
      const w = words[i + k]!;
      ok = k === last ? w.startsWith(terms[k]!) : w === terms[k];
    }
    if (ok) hits.push([i, i + last]);
  }
  return hits;
}
