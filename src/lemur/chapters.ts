import nlp from 'compromise';
import { toParagraphs, type TranscriptParagraph } from '../text/segments.js';
import type { TranscriptChapter, TranscriptWord } from '../transcript/types.js';
import type { Session } from './map-reduce.js';
import { answerJsonAbout } from './structured.js';

/**
 * auto_chapters: where the topic changes is found in the words themselves, with TextTiling (Hearst,
 * "TextTiling: Segmenting text into multi-paragraph subtopic passages", 1997) over the nouns of each
 * paragraph (compromise's tagger, root forms); the configured LLM then writes each chapter's gist,
 * headline and summary. So chapter boundaries are the same whichever LLM runs, and always in order.
 */

/** No chapter is shorter than this (upstream's chapters run minutes). */
export const MIN_CHAPTER_MS = 60_000;
/** A gap shallower than this is no change of topic, however it ranks (uniform text has ranks too). */
const MIN_DEPTH = 0.2;
/** Paragraphs compared on each side of a gap. */
const WINDOW = 2;
/** The three texts' 1,060 characters even at a character per token, and the JSON around them. */
const ANSWER_TOKENS = 1200;

const SCHEMA = {
  type: 'object',
  properties: {
    gist: { type: 'string', maxLength: 60 },
    headline: { type: 'string', maxLength: 200 },
    summary: { type: 'string', maxLength: 800 },
  },
  required: ['gist', 'headline', 'summary'],
  additionalProperties: false,
};

const INSTRUCTION =
  'This is one chapter of a recording. Write its gist (a few words), its headline (one sentence) and its summary (one paragraph). ' +
  'Reply as JSON: {"gist": "...", "headline": "...", "summary": "..."}';

/** A paragraph's nouns (roots: "rains" → "rain"), counted: what TextTiling compares. */
function nounCounts(text: string): Map<string, number> {
  const doc = nlp(text);
  doc.compute('root');
  const counts = new Map<string, number>();
  for (const match of doc.match('#Noun').not('#Pronoun').json() as { terms: { normal: string; root?: string }[] }[]) {
    for (const t of match.terms) {
      const w = t.root ?? t.normal;
      if (w) counts.set(w, (counts.get(w) ?? 0) + 1);
    }
  }
  return counts;
}

function cosine(a: Map<string, number>, b: Map<string, number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (const [w, n] of a) {
    na += n * n;
    dot += n * (b.get(w) ?? 0);
  }
  for (const n of b.values()) nb += n * n;
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

function sum(bags: readonly Map<string, number>[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const bag of bags) for (const [w, n] of bag) out.set(w, (out.get(w) ?? 0) + n);
  return out;
}

/**
 * The paragraph indexes where chapters start (always 0). Each gap between paragraphs gets a depth score
 * (how far lexical similarity across it dips below the peaks on either side); gaps deeper than the
 * mean less half a standard deviation (Hearst's cutoff) and than MIN_DEPTH become boundaries, deepest first, as long as
 * every chapter stays at least MIN_CHAPTER_MS long.
 */
export function chapterStarts(paragraphs: readonly TranscriptParagraph[]): number[] {
  if (paragraphs.length < 2) return [0];
  const bags = paragraphs.map((p) => nounCounts(p.text));
  const sims: number[] = [];
  for (let g = 1; g < paragraphs.length; g++)
    sims.push(cosine(sum(bags.slice(Math.max(0, g - WINDOW), g)), sum(bags.slice(g, g + WINDOW))));
  const depths = sims.map((s, i) => {
    let left = s;
    for (let j = i - 1; j >= 0 && sims[j]! >= left; j--) left = sims[j]!;
    let right = s;
    for (let j = i + 1; j < sims.length && sims[j]! >= right; j++) right = sims[j]!;
    return left - s + (right - s);
  });
  const mean = depths.reduce((a, b) => a + b, 0) / depths.length;
  const sd = Math.sqrt(depths.reduce((a, d) => a + (d - mean) ** 2, 0) / depths.length);
  const cutoff = mean - sd / 2;
  const gaps = depths
    .map((d, i) => ({ d, at: i + 1 }))
    .filter((g) => g.d >= MIN_DEPTH && g.d >= cutoff)
    .sort((a, b) => b.d - a.d || a.at - b.at);
  const starts = [0];
  const end = paragraphs[paragraphs.length - 1]!.end;
  for (const { at } of gaps) {
    const sorted = [...starts, at].sort((a, b) => a - b);
    const long = sorted.every((s, i) => {
      const until = i + 1 < sorted.length ? paragraphs[sorted[i + 1]!]!.start : end;
      return until - paragraphs[s]!.start >= MIN_CHAPTER_MS;
    });
    if (long) starts.splice(0, starts.length, ...sorted);
  }
  return starts;
}

interface Answer {
  gist?: unknown;
  headline?: unknown;
  summary?: unknown;
}

/** `chapters` for a transcript's words: boundaries by TextTiling, texts by the LLM. */
export async function autoChapters(
  session: Session,
  words: readonly TranscriptWord[],
  audioDuration: number,
): Promise<TranscriptChapter[]> {
  const paragraphs = toParagraphs(words);
  if (paragraphs.length === 0) return [];
  const starts = chapterStarts(paragraphs);
  const chapters: TranscriptChapter[] = [];
  for (const [i, first] of starts.entries()) {
    const group = paragraphs.slice(first, starts[i + 1] ?? paragraphs.length);
    const chapterWords = group.flatMap((p) => p.words);
    const parsed = await answerJsonAbout<Answer>(
      session,
      { words: chapterWords, audioDuration },
      { instruction: INSTRUCTION, partInstruction: 'Summarize this part of the chapter.', jsonSchema: SCHEMA },
      ANSWER_TOKENS,
    );
    const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
    chapters.push({
      gist: text(parsed.gist),
      headline: text(parsed.headline),
      summary: text(parsed.summary),
      start: group[0]!.start,
      end: group[group.length - 1]!.end,
    });
  }
  return chapters;
}
