/** Sentences and paragraphs for GET /v2/transcript/{id}/sentences and /paragraphs. */
import type { TranscriptWord } from '../transcript/types.js';
import { CLAUSE_PAUSE_MS, LONG_SENTENCE_WORDS, SENTENCE_PAUSE_MS, averageConfidence, endsSentence, transcriptText } from './format.js';

export interface TranscriptSentence {
  text: string;
  start: number;
  end: number;
  confidence: number;
  words: TranscriptWord[];
  speaker: string | null;
  channel?: string;
}

/** AssemblyAI's `TranscriptUtterance`: one speaker's (or channel's) turn. */
export interface TranscriptUtterance {
  confidence: number;
  start: number;
  end: number;
  text: string;
  words: TranscriptWord[];
  speaker: string;
  channel?: string;
}

/** Upstream's paragraph schema has no speaker or channel. */
export interface TranscriptParagraph {
  text: string;
  start: number;
  end: number;
  confidence: number;
  words: TranscriptWord[];
}

/** A silence at least this long between sentences starts a new paragraph. */
export const PARAGRAPH_PAUSE_MS = 2000;
/** A paragraph takes no further sentence once it holds this many words. */
export const MAX_PARAGRAPH_WORDS = 100;

/** Unpunctuated speech without a long pause is still cut here: one sentence must not hold a whole talk. */
const MAX_UNPUNCTUATED_WORDS = 2 * LONG_SENTENCE_WORDS;

/**
 * Splits on terminal punctuation, or on pauses when the transcript has none
 * (punctuate=false: as the punctuation heuristic would, a long pause, or a clause pause once the
 * sentence is long, or at the latest MAX_UNPUNCTUATED_WORDS), and always on a change of speaker. Channels are split
 * separately so interleaved channels do not chop each other's sentences.
 */
export function toSentences(words: readonly TranscriptWord[]): TranscriptSentence[] {
  const punctuated = words.some((w) => endsSentence(w.text));
  const channels = new Map<string | undefined, TranscriptWord[]>();
  for (const w of words) {
    const list = channels.get(w.channel) ?? [];
    list.push(w);
    channels.set(w.channel, list);
  }
  const sentences = [...channels.values()].flatMap((list) =>
    splitWhere(list, (prev, next, run) => {
      if (prev.speaker !== next.speaker) return true;
      if (punctuated) return endsSentence(prev.text);
      const gap = next.start - prev.end;
      return (
        gap >= SENTENCE_PAUSE_MS || (gap >= CLAUSE_PAUSE_MS && run.length >= LONG_SENTENCE_WORDS) || run.length >= MAX_UNPUNCTUATED_WORDS
      );
    }).map(toSentence),
  );
  return sentences.sort((a, b) => a.start - b.start);
}

/** Groups sentences, breaking at long pauses, speaker or channel changes, and MAX_PARAGRAPH_WORDS. */
export function toParagraphs(words: readonly TranscriptWord[]): TranscriptParagraph[] {
  const groups = splitWhere(
    toSentences(words),
    (prev, next, group) =>
      next.start - prev.end >= PARAGRAPH_PAUSE_MS ||
      prev.speaker !== next.speaker ||
      prev.channel !== next.channel ||
      group.reduce((n, s) => n + s.words.length, 0) >= MAX_PARAGRAPH_WORDS,
  );
  return groups.map((group) => span(group.flatMap((s) => s.words)));
}

/**
 * Turn-by-turn utterances, ordered by start. A channel's utterance ends when its speaker changes, or when
 * another channel spoke a whole word in the silence before its next word (the other side took a turn);
 * words said over the other side's speech do not cut it. Without channels, a change of speaker ends it.
 */
export function toUtterances(words: readonly TranscriptWord[]): TranscriptUtterance[] {
  interface Open {
    words: TranscriptWord[];
    /** The earliest end of another channel's word that started after this utterance's last word. */
    otherTurnEnd: number;
  }
  const open = new Map<string | undefined, Open>();
  const done: TranscriptWord[][] = [];
  for (const w of [...words].sort((a, b) => a.start - b.start)) {
    for (const [channel, u] of open) {
      if (channel !== w.channel && w.start >= u.words[u.words.length - 1]!.end) u.otherTurnEnd = Math.min(u.otherTurnEnd, w.end);
    }
    const u = open.get(w.channel);
    if (u && u.words[u.words.length - 1]!.speaker === w.speaker && u.otherTurnEnd > w.start) {
      u.words.push(w);
      u.otherTurnEnd = Infinity;
      continue;
    }
    if (u) done.push(u.words);
    open.set(w.channel, { words: [w], otherTurnEnd: Infinity });
  }
  done.push(...[...open.values()].map((u) => u.words));
  return done
    .map((list): TranscriptUtterance => {
      const first = list[0]!;
      // Utterances are only asked of speaker-labelled or multichannel words: one of the two is set.
      const u: TranscriptUtterance = { ...span(list), speaker: (first.speaker ?? first.channel)! };
      if (first.channel !== undefined) u.channel = first.channel;
      return u;
    })
    .sort((a, b) => a.start - b.start || Number(a.channel ?? 0) - Number(b.channel ?? 0));
}

/** Cuts `items` into runs, starting a new run before `next` whenever `breaks` says so. */
function splitWhere<T>(items: readonly T[], breaks: (prev: T, next: T, run: readonly T[]) => boolean): T[][] {
  const runs: T[][] = [];
  for (const item of items) {
    const run = runs[runs.length - 1];
    if (run && !breaks(run[run.length - 1]!, item, run)) run.push(item);
    else runs.push([item]);
  }
  return runs;
}

function span(words: TranscriptWord[]): TranscriptParagraph {
  return {
    text: transcriptText(words),
    start: words[0]!.start,
    end: words[words.length - 1]!.end,
    confidence: averageConfidence(words)!,
    words,
  };
}

function toSentence(words: TranscriptWord[]): TranscriptSentence {
  const first = words[0]!;
  const sentence: TranscriptSentence = { ...span(words), speaker: first.speaker };
  if (first.channel !== undefined) sentence.channel = first.channel;
  return sentence;
}
