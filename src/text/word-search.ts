/** GET /v2/transcript/{id}/word-search, minus the transcript id the route adds. */
import type { TranscriptWord } from '../transcript/types.js';

/** Upstream searches "individual words, numbers, or phrases containing up to five words". Longer terms match nothing. */
export const MAX_SEARCH_PHRASE_WORDS = 5;

export interface WordSearchMatch {
  /** The term as the client sent it, trimmed. */
  text: string;
  count: number;
  /** [start, end] in ms, spanning the whole phrase. */
  timestamps: [number, number][];
  /** Index in the transcript's `words` of each match's first word. */
  indexes: number[];
}

export interface WordSearchResult {
  total_count: number;
  matches: WordSearchMatch[];
}

/** Lowercase, punctuation-free tokens: "Don't," → ["dont"], "3,000" → ["3000"]. */
function tokens(text: string): string[] {
  return text
    .toLowerCase()
    .split(/\s+/)
    .map((t) => t.replace(/[^\p{L}\p{N}]/gu, ''))
    .filter((t) => t !== '');
}

/**
 * Case- and punctuation-insensitive search for words and phrases. Every distinct term
 * gets an entry, with count 0 when it never occurs, so clients can read a result for
 * each term they asked about. Matches align to whole transcript words; a word holding
 * several tokens (a custom spelling like "New York") matches only as a whole.
 */
export function searchWords(words: readonly TranscriptWord[], terms: readonly string[]): WordSearchResult {
  const flat: { token: string; word: number; first: boolean; last: boolean }[] = [];
  words.forEach((w, word) => {
    const parts = tokens(w.text);
    for (const [j, token] of parts.entries()) flat.push({ token, word, first: j === 0, last: j === parts.length - 1 });
  });

  const seen = new Set<string>();
  const matches: WordSearchMatch[] = [];
  for (const term of terms) {
    const needle = tokens(term);
    const id = needle.join(' ');
    if (needle.length === 0 || seen.has(id)) continue;
    seen.add(id);
    const match: WordSearchMatch = { text: term.trim(), count: 0, timestamps: [], indexes: [] };
    if (needle.length <= MAX_SEARCH_PHRASE_WORDS) {
      for (let p = 0; p + needle.length <= flat.length; p++) {
        const first = flat[p]!;
        const last = flat[p + needle.length - 1]!;
        if (!first.first || !last.last || !needle.every((t, j) => flat[p + j]!.token === t)) continue;
        match.count++;
        match.timestamps.push([words[first.word]!.start, words[last.word]!.end]);
        match.indexes.push(first.word);
      }
    }
    matches.push(match);
  }
  return { total_count: matches.reduce((n, m) => n + m.count, 0), matches };
}
