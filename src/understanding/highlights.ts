/**
 * auto_highlights: key phrases are compromise's noun phrases ("air quality alerts", "wide ranging air
 * quality consequences"), without leading articles, pronouns and possessives, at most five words (as
 * word search finds), found in each sentence. Each is ranked with RAKE's degree metric (Rose et al.,
 * "Automatic keyword extraction from individual documents", 2010): a word scores the total length
 * of the candidate phrases it occurs in, counting every occurrence, and a phrase the sum of its
 * words, so long phrases and phrases whose words recur rank first. `rank` is a phrase's share of the
 * returned phrases' scores; `count` and `timestamps` are every occurrence of the phrase in the words.
 */
import nlp from 'compromise';
import { affixes, transcriptText } from '../text/format.js';
import { toSentences } from '../text/segments.js';
import { MAX_SEARCH_PHRASE_WORDS, searchWords } from '../text/word-search.js';
import type { AutoHighlightsResult, TranscriptWord } from '../transcript/types.js';

/** Upstream returns a short list, not every noun in a long file. */
export const MAX_HIGHLIGHTS = 20;

/** Tags a key phrase neither starts nor ends with ("the", "my", "we", "of"). */
const EDGE_TAGS = ['Determiner', 'Pronoun', 'Possessive', 'Preposition', 'Conjunction'];
/** Nouns too general to be a key phrase on their own. */
const GENERIC = new Set([
  'here',
  'there',
  'thing',
  'things',
  'something',
  'anything',
  'everything',
  'nothing',
  'lot',
  'way',
  'kind',
  'sort',
]);

interface Term {
  offset: { start: number };
  tags: string[];
}

/**
 * Key phrases from the words. `skip` marks words no phrase may hold (redacted PII: a highlight
 * made of "####" or "[PERSON_NAME]" says nothing).
 */
export function autoHighlights(words: readonly TranscriptWord[], skip: (w: TranscriptWord) => boolean = () => false): AutoHighlightsResult {
  const candidates: string[][] = [];
  for (const sentence of toSentences(words)) {
    const starts: number[] = [];
    let at = 0;
    for (const w of sentence.words) {
      starts.push(at);
      at += w.text.length + 1;
    }
    const wordAt = (offset: number) => {
      let i = 0;
      while (i + 1 < starts.length && starts[i + 1]! <= offset) i++;
      return i;
    };
    for (const phrase of nlp(transcriptText(sentence.words))
      .nouns()
      .json({ offset: true, terms: { offset: true } }) as { terms: Term[] }[]) {
      const terms = phrase.terms;
      const edge = (t: Term) => EDGE_TAGS.some((tag) => t.tags.includes(tag));
      let first = 0;
      let last = terms.length - 1;
      while (first <= last && edge(terms[first]!)) first++;
      while (last >= first && edge(terms[last]!)) last--;
      if (first > last) continue;
      const span = sentence.words.slice(wordAt(terms[first]!.offset.start), wordAt(terms[last]!.offset.start) + 1);
      // A phrase does not run over a comma or other break inside it, nor hold a word filter_profanity masked ("s***").
      if (span.length > MAX_SEARCH_PHRASE_WORDS || span.some((w) => skip(w) || w.text.includes('*'))) continue;
      if (span.slice(0, -1).some((w) => affixes(w.text).trail !== '')) continue;
      const keys = span.map((w) => affixes(w.text).core.toLowerCase()).filter((k) => k !== '');
      if (keys.length === 0 || (keys.length === 1 && GENERIC.has(keys[0]!))) continue;
      candidates.push(keys);
    }
  }
  const degree = new Map<string, number>();
  for (const c of candidates) for (const k of c) degree.set(k, (degree.get(k) ?? 0) + c.length);
  const phrases = [...new Map(candidates.map((c) => [c.join(' '), c])).values()]
    .map((c) => ({ text: c.join(' '), score: c.reduce((sum, k) => sum + degree.get(k)!, 0) }))
    .sort((a, b) => b.score - a.score || a.text.localeCompare(b.text))
    .slice(0, MAX_HIGHLIGHTS);
  // Two phrases that differ only in punctuation ("u.s", "us") are one term to word search: the first stays.
  const found = new Map(
    searchWords(
      words,
      phrases.map((p) => p.text),
    ).matches.map((m) => [m.text, m]),
  );
  const kept = phrases.filter((p) => found.has(p.text));
  const total = kept.reduce((sum, p) => sum + p.score, 0);
  return {
    status: 'success',
    results: kept.map((p) => ({
      count: found.get(p.text)!.count,
      rank: Math.round((p.score / total) * 100) / 100,
      text: p.text,
      timestamps: found.get(p.text)!.timestamps.map(([start, end]) => ({ start, end })),
    })),
  };
}
