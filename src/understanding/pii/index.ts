/**
 * PII detection in the manner of Microsoft Presidio: recognisers (patterns with validators, a
 * phone-number library, an NER model) each propose scored findings, context words raise weak ones,
 * and the findings at or above MIN_SCORE of the requested types are kept, overlaps resolved.
 */
import nlp from 'compromise';
import { financialRecogniser } from './financial.js';
import { identifierRecogniser } from './identifiers.js';
import { listRecogniser } from './lists.js';
import { moneyRecogniser } from './money.js';
import { nerRecogniser } from './ner.js';
import { phoneRecogniser } from './phone.js';
import type { Finding, PiiPolicy } from './policies.js';
import type { Recogniser } from './recogniser.js';
import { temporalRecogniser } from './temporal.js';

export const RECOGNISERS: readonly Recogniser[] = [
  phoneRecogniser,
  financialRecogniser,
  identifierRecogniser,
  nerRecogniser,
  temporalRecogniser,
  moneyRecogniser,
  listRecogniser,
];

/** Presidio's usual cut-off: below it a finding is a guess the context did not confirm. */
export const MIN_SCORE = 0.5;

/**
 * The findings of the requested types, none overlapping another: where two overlap, the higher score
 * wins, then the longer span (an e-mail over the domain inside it). Sorted by position.
 */
export function detectPii(text: string, policies: ReadonlySet<PiiPolicy>): Finding[] {
  const wanted = RECOGNISERS.filter((r) => r.policies.some((p) => policies.has(p)));
  if (wanted.length === 0 || text.trim() === '') return [];
  const candidates = chunks(text)
    .flatMap(({ at, part }) => {
      const input = { text: part, doc: nlp(part) };
      return wanted.flatMap((r) => r.find(input)).map((f) => ({ ...f, start: f.start + at, end: f.end + at }));
    })
    .filter((f) => policies.has(f.type) && f.score >= MIN_SCORE && f.end > f.start)
    .sort((a, b) => b.score - a.score || b.end - b.start - (a.end - a.start) || a.start - b.start);
  const kept: Finding[] = [];
  for (const f of candidates) if (!kept.some((k) => f.start < k.end && k.start < f.end)) kept.push(f);
  return kept.sort((a, b) => a.start - b.start);
}

/** Longest text compromise reads at once: some of its matchers (money) slow down far faster than linearly with a document's length. */
const CHUNK_CHARS = 600;

/**
 * The text in pieces of about CHUNK_CHARS, cut after a sentence end where there is one (context words
 * belong to their sentence anyway), else at a space; never inside a word.
 */
export function chunks(text: string): { at: number; part: string }[] {
  const out: { at: number; part: string }[] = [];
  let at = 0;
  while (at < text.length) {
    let end = text.length;
    if (end - at > CHUNK_CHARS) {
      const window = text.slice(at, at + CHUNK_CHARS);
      const sentence = Math.max(window.lastIndexOf('. '), window.lastIndexOf('? '), window.lastIndexOf('! '));
      const space = window.lastIndexOf(' ');
      end = at + (sentence > CHUNK_CHARS / 3 ? sentence + 2 : space > 0 ? space + 1 : CHUNK_CHARS);
    }
    out.push({ at, part: text.slice(at, end) });
    at = end;
  }
  return out;
}
