/**
 * `redact_pii` on a transcript's words, as upstream writes it: `hash` turns each character of a
 * redacted word into `#` ("Smith," → "#####,"), `entity_name` puts the policy's label in place of
 * the whole finding ("John Smith," → "[PERSON_NAME],", one word spanning both). Punctuation around
 * the words stays, so sentences, paragraphs and subtitles split as before.
 */
import { affixes, averageConfidence, transcriptText } from '../../text/format.js';
import type { TranscriptWord } from '../../transcript/types.js';
import { entityLabel, type PiiPolicy } from './policies.js';
import { findPiiInWords, type WordFinding } from './words.js';

export type Substitution = 'hash' | 'entity_name';

export interface Redaction {
  words: TranscriptWord[];
  /** What was found, on the original words' indexes (for entities and the redacted audio's timings). */
  findings: WordFinding[];
  /** Audio time spans (ms) of the redacted words, merged where they touch. */
  spans: { start: number; end: number }[];
  /** The redacted word (or null: merged into the one before) for each original word, by index. */
  replaced: (TranscriptWord | null)[];
}

const hashed = (text: string) => {
  const { lead, core, trail } = affixes(text);
  return lead + core.replace(/\S/g, '#') + trail;
};

export function redactWords(words: readonly TranscriptWord[], policies: ReadonlySet<PiiPolicy>, sub: Substitution): Redaction {
  const findings = findPiiInWords(words, policies);
  const replaced: (TranscriptWord | null)[] = [...words];
  for (const f of findings) {
    if (sub === 'hash') {
      for (let i = f.firstWord; i <= f.lastWord; i++) replaced[i] = { ...words[i]!, text: hashed(words[i]!.text) };
      continue;
    }
    const span = words.slice(f.firstWord, f.lastWord + 1);
    const first = span[0]!;
    const last = span[span.length - 1]!;
    replaced[f.firstWord] = {
      ...first,
      text: affixes(first.text).lead + entityLabel(f.type) + affixes(last.text).trail,
      end: last.end,
      confidence: averageConfidence(span)!,
    };
    for (let i = f.firstWord + 1; i <= f.lastWord; i++) replaced[i] = null;
  }
  const spans: { start: number; end: number }[] = [];
  for (const f of findings) {
    const start = words[f.firstWord]!.start;
    const end = words[f.lastWord]!.end;
    const prev = spans[spans.length - 1];
    if (prev && start <= prev.end) prev.end = Math.max(prev.end, end);
    else spans.push({ start, end });
  }
  return { words: replaced.filter((w): w is TranscriptWord => w !== null), findings, spans, replaced };
}

/** A run of words with its own text (an utterance): the same words, redacted as in the whole transcript. */
export function redactSegment<S extends { text: string; words: TranscriptWord[] }>(
  segment: S,
  all: readonly TranscriptWord[],
  r: Redaction,
): S {
  const index = new Map(all.map((w, i) => [w, i]));
  const byTime = new Map(all.map((w, i) => [`${w.start}:${w.end}:${w.text}`, i]));
  const words = segment.words.flatMap((w) => {
    const i = index.get(w) ?? byTime.get(`${w.start}:${w.end}:${w.text}`);
    if (i === undefined) return [w];
    const out = r.replaced[i];
    return out ? [out] : [];
  });
  return { ...segment, words, text: transcriptText(words) };
}
