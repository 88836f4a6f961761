/**
 * Turns engine words into AssemblyAI `TranscriptWord`s, honouring the request's
 * punctuate / format_text / disfluencies / filter_profanity / custom_spelling options.
 * Pure functions: no I/O.
 */
import type { EngineWord } from '../engines/engine.js';
import type { CustomSpelling } from '../transcript/params.js';
import type { TranscriptWord } from '../transcript/types.js';
import { isProfane } from './profanity.js';

/** An engine word, optionally already attributed to a speaker or channel. */
export type InputWord = EngineWord & { speaker?: string | null; channel?: string };

export interface FormatOptions {
  punctuate: boolean;
  format_text: boolean;
  disfluencies: boolean;
  filter_profanity: boolean;
  custom_spelling: CustomSpelling[] | null;
  /** The engine already punctuated and cased its words (whisper). */
  enginePunctuated: boolean;
}

/** Upstream's defaults for a transcript: punctuated and formatted, disfluencies and profanity left as is. */
export const DEFAULT_FORMAT_OPTIONS: FormatOptions = {
  punctuate: true,
  format_text: true,
  disfluencies: false,
  filter_profanity: false,
  custom_spelling: null,
  enginePunctuated: false,
};

/** A silence at least this long between words ends a sentence. */
export const SENTENCE_PAUSE_MS = 700;
/** A silence at least this long (but shorter than a sentence pause) adds a comma. */
export const CLAUSE_PAUSE_MS = 350;
/** Past this many words a clause pause ends the sentence instead, so unpunctuated speech still gets sentences. */
export const LONG_SENTENCE_WORDS = 25;

/** AssemblyAI's documented filler list plus common spelling variants. */
const FILLERS = new Set([
  'um',
  'umm',
  'uh',
  'uhh',
  'er',
  'erm',
  'ah',
  'ahh',
  'hmm',
  'hm',
  'mhm',
  'mm',
  'mmm',
  'm',
  'huh',
  'uh-huh',
  'mm-hmm',
]);

/** A pause after these words is hesitation, not a clause boundary. */
const NO_BREAK_AFTER = new Set([
  'a',
  'an',
  'the',
  'and',
  'or',
  'but',
  'nor',
  'of',
  'to',
  'in',
  'on',
  'at',
  'for',
  'with',
  'from',
  'by',
  'my',
  'your',
  'his',
  'her',
  'our',
  'their',
  'its',
]);

const WH_WORDS = new Set([
  'what',
  'where',
  'when',
  'why',
  'who',
  'whom',
  'whose',
  'which',
  'how',
  "what's",
  "where's",
  "who's",
  "how's",
  "why's",
  "when's",
]);
const AUXILIARIES = new Set([
  'is',
  'are',
  'am',
  'was',
  'were',
  'do',
  'does',
  'did',
  'can',
  'could',
  'would',
  'will',
  'should',
  'shall',
  'have',
  'has',
  'had',
  'may',
  'might',
  'must',
  "isn't",
  "aren't",
  "wasn't",
  "weren't",
  "don't",
  "doesn't",
  "didn't",
  "can't",
  "couldn't",
  "won't",
  "wouldn't",
  "shouldn't",
  "haven't",
  "hasn't",
]);
const SUBJECTS = new Set(['i', 'you', 'he', 'she', 'it', 'we', 'they', 'there']);

/** Words whose trailing "." is not a sentence end. */
const ABBREVIATIONS = new Set(['mr', 'mrs', 'ms', 'dr', 'prof', 'st', 'jr', 'sr', 'vs', 'mt', 'e.g', 'i.e']);

const AFFIX_RE = /^([^\p{L}\p{N}]*)(.*?)([^\p{L}\p{N}]*)$/su;

/** Splits a word into leading punctuation, the word itself, and trailing punctuation. */
export function affixes(text: string): { lead: string; core: string; trail: string } {
  const m = AFFIX_RE.exec(text)!;
  return { lead: m[1]!, core: m[2]!, trail: m[3]! };
}

/** Lowercased word without surrounding punctuation: what matching compares. */
function key(text: string): string {
  return affixes(text).core.toLowerCase();
}

/** True when the word closes a sentence (".", "?", "!", "…", possibly followed by a closing quote or bracket). */
export function endsSentence(text: string): boolean {
  const { core, trail } = affixes(text);
  return /[.?!…]/.test(trail) && !(trail.startsWith('.') && ABBREVIATIONS.has(core.toLowerCase()));
}

export function transcriptText(words: readonly TranscriptWord[]): string {
  return words.map((w) => w.text).join(' ');
}

export function averageConfidence(words: readonly TranscriptWord[]): number | null {
  if (words.length === 0) return null;
  return words.reduce((sum, w) => sum + w.confidence, 0) / words.length;
}

export function formatWords(words: readonly InputWord[], opts: FormatOptions): TranscriptWord[] {
  let out = words.map(toTranscriptWord).filter((w) => w.text !== '');
  if (!opts.punctuate) out = out.map((w) => ({ ...w, text: stripPunctuation(w.text) })).filter((w) => w.text !== '');
  // Before fillers go, so the pause around an "uh" reads as hesitation rather than a clause break.
  else if (!opts.enginePunctuated) out = inferPunctuation(out);
  if (!opts.disfluencies) out = dropFillers(out);
  out = opts.format_text ? capitalise(normaliseNumbers(out)) : out.map((w) => ({ ...w, text: w.text.toLowerCase() }));
  if (opts.custom_spelling?.length) out = applyCustomSpelling(out, opts.custom_spelling);
  if (opts.filter_profanity) out = maskProfanity(out);
  return out;
}

/** `filter_profanity`: each profane word kept to its first letter and stars ("d***"), as upstream masks it. */
export function maskProfanity<W extends { text: string }>(words: readonly W[]): W[] {
  return words.map((w) => ({ ...w, text: w.text.split(' ').map(maskToken).join(' ') }));
}

function toTranscriptWord(w: InputWord): TranscriptWord {
  const start = Math.max(0, Math.round(w.start));
  const out: TranscriptWord = {
    text: w.text.trim(),
    start,
    end: Math.max(start, Math.round(w.end)),
    confidence: Number.isFinite(w.confidence) ? Math.min(1, Math.max(0, w.confidence)) : 0,
    speaker: w.speaker ?? null,
  };
  if (w.channel !== undefined) out.channel = w.channel;
  return out;
}

/** One word standing for several (custom spelling, spoken numbers): spans them all, averages confidence. */
function mergeWords(words: readonly TranscriptWord[], text: string): TranscriptWord {
  const first = words[0]!;
  return {
    ...first,
    text,
    end: words[words.length - 1]!.end,
    confidence: averageConfidence(words)!,
  };
}

/** Drops fillers; a sentence end a filler carried ("so uh.") moves to the word before it. */
function dropFillers(words: TranscriptWord[]): TranscriptWord[] {
  const out: TranscriptWord[] = [];
  for (const w of words) {
    if (!FILLERS.has(key(w.text))) {
      out.push(w);
      continue;
    }
    const prev = out[out.length - 1];
    const mark = /[.?!]/.exec(affixes(w.text).trail)?.[0];
    if (prev && mark && !endsSentence(prev.text)) {
      const { lead, core } = affixes(prev.text);
      out[out.length - 1] = { ...prev, text: lead + core + mark };
    }
  }
  return out;
}

/** Removes punctuation but keeps what belongs to the word: apostrophes, inner hyphens, "3.5", "3,000", "%", "$". */
function stripPunctuation(text: string): string {
  return text.replace(/(?<!\d)[.,]|[.,](?!\d)|[!?;:…"“”„«»()[\]{}¿¡–—]/g, '').replace(/^-+|-+$/g, '');
}

function inferPunctuation(words: TranscriptWord[]): TranscriptWord[] {
  const out = words.map((w) => ({ ...w }));
  let sentenceStart = 0;
  out.forEach((w, i) => {
    const next = out[i + 1];
    const gap = next ? next.start - w.end : Infinity;
    const length = i - sentenceStart + 1;
    let mark = '';
    if (!next || next.speaker !== w.speaker) mark = '.';
    else if (NO_BREAK_AFTER.has(key(w.text))) mark = '';
    else if (gap >= SENTENCE_PAUSE_MS || (gap >= CLAUSE_PAUSE_MS && length >= LONG_SENTENCE_WORDS)) mark = '.';
    else if (gap >= CLAUSE_PAUSE_MS) mark = ',';
    if (mark === '.') {
      if (isQuestion(out.slice(sentenceStart, i + 1))) mark = '?';
      sentenceStart = i + 1;
    }
    w.text += mark;
  });
  return out;
}

/** "what is…", "how do…", "are you…", "did they…": a question. Anything else is a statement. */
function isQuestion(sentence: readonly TranscriptWord[]): boolean {
  const [first, second] = sentence.map((w) => key(w.text)).filter((k) => !FILLERS.has(k));
  if (first === undefined || second === undefined) return false;
  return (WH_WORDS.has(first) && AUXILIARIES.has(second)) || (AUXILIARIES.has(first) && SUBJECTS.has(second));
}

/** Sentence-initial capitals and "I", "I'm", "I'll", "I've", "I'd". */
function capitalise(words: TranscriptWord[]): TranscriptWord[] {
  let sentenceStart = true;
  return words.map((w) => {
    const { lead, core, trail } = affixes(w.text);
    if (core === '') return w;
    let text = /^i(['’](m|ll|ve|d))?$/i.test(core) ? `I${core.slice(1)}` : core;
    if (sentenceStart) text = text.charAt(0).toUpperCase() + text.slice(1);
    sentenceStart = endsSentence(w.text);
    return { ...w, text: lead + text + trail };
  });
}

const UNITS: Record<string, number> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
};
const TEENS: Record<string, number> = {
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
};
const TENS: Record<string, number> = {
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
};
const SCALES: Record<string, number> = { thousand: 1e3, million: 1e6, billion: 1e9, trillion: 1e12 };

type NumberKind = 'unit' | 'teen' | 'tens' | 'hundred' | 'scale' | 'and';

function numberKind(k: string | undefined): NumberKind | null {
  if (k === undefined) return null;
  if (k in UNITS) return 'unit';
  if (k in TEENS) return 'teen';
  if (k in TENS) return 'tens';
  if (k === 'hundred') return 'hundred';
  if (k in SCALES) return 'scale';
  return k === 'and' ? 'and' : null;
}

/**
 * Reads spoken cardinals starting at `from`: "twenty five" → 25, "two thousand and
 * three" → 2003, "nineteen ninety nine" → 1999. Stops at punctuation between words
 * or at the first word that cannot continue the number.
 */
function parseNumber(words: readonly TranscriptWord[], from: number): { value: number; length: number } {
  let total = 0;
  let current = 0;
  let prev: NumberKind | null = null;
  let lastScale = Infinity;
  let yearHead: number | null = null;
  let i = from;
  for (; i < words.length; i++) {
    const { lead, core, trail } = affixes(words[i]!.text);
    if (i > from && lead !== '') break;
    const k = core.toLowerCase();
    const kind = numberKind(k);
    if (kind === null) break;
    if (kind === 'and') {
      const nextKind = numberKind(key(words[i + 1]?.text ?? ''));
      const joins = (prev === 'hundred' || prev === 'scale') && trail === '';
      if (!joins || (nextKind !== 'unit' && nextKind !== 'teen' && nextKind !== 'tens')) break;
    } else if (kind === 'unit') {
      if (prev === 'unit' || prev === 'teen' || (prev === 'tens' && UNITS[k] === 0)) break;
      current += UNITS[k]!;
    } else if (kind === 'teen' || kind === 'tens') {
      const v = kind === 'teen' ? TEENS[k]! : TENS[k]!;
      if (prev === 'unit' || prev === 'teen' || prev === 'tens') {
        // Two two-digit groups in a row are how years are said.
        if (yearHead !== null || total !== 0 || current < 10 || current > 99) break;
        yearHead = current;
        current = v;
      } else current += v;
    } else if (kind === 'hundred') {
      if (yearHead !== null || current === 0 || current >= 100 || prev === 'and') break;
      current *= 100;
    } else {
      const scale = SCALES[k]!;
      if (yearHead !== null || current === 0 || scale >= lastScale || prev === 'and') break;
      total += current * scale;
      current = 0;
      lastScale = scale;
    }
    prev = kind;
    if (trail !== '') {
      i++;
      break;
    }
  }
  return { value: yearHead !== null ? yearHead * 100 + current : total + current, length: i - from };
}

/**
 * Inverse text normalisation for spoken numbers, as upstream's format_text does
 * ("ten hamburgers" → "10 hamburgers", "forty percent" → "40%"). A lone "one".."nine"
 * stays a word ("no one", "one of them").
 */
function normaliseNumbers(words: TranscriptWord[]): TranscriptWord[] {
  const out: TranscriptWord[] = [];
  for (let i = 0; i < words.length; ) {
    const { value, length } = parseNumber(words, i);
    const last = words[i + length - 1];
    const percent = length > 0 && affixes(last!.text).trail === '' && key(words[i + length]?.text ?? '') === 'percent';
    if (length === 0 || (length === 1 && value < 10 && !percent)) {
      out.push(words[i]!);
      i++;
      continue;
    }
    const span = words.slice(i, i + length + (percent ? 1 : 0));
    const digits = value >= 10_000 ? value.toLocaleString('en-US') : String(value);
    out.push(mergeWords(span, affixes(span[0]!.text).lead + digits + (percent ? '%' : '') + affixes(span[span.length - 1]!.text).trail));
    i += span.length;
  }
  return out;
}

/** Case-insensitive, punctuation-insensitive phrase replacement; the longest `from` wins at each position. */
function applyCustomSpelling(words: TranscriptWord[], rules: readonly CustomSpelling[]): TranscriptWord[] {
  const phrases = rules
    .flatMap((r) =>
      r.from.map((from) => ({
        keys: from
          .split(/\s+/)
          .map(key)
          .filter((k) => k !== ''),
        to: r.to,
      })),
    )
    .filter((p) => p.keys.length > 0);
  const out: TranscriptWord[] = [];
  for (let i = 0; i < words.length; ) {
    let best: { keys: string[]; to: string } | undefined;
    for (const p of phrases) {
      if ((best === undefined || p.keys.length > best.keys.length) && p.keys.every((k, j) => key(words[i + j]?.text ?? '') === k)) best = p;
    }
    if (best === undefined) {
      out.push(words[i]!);
      i++;
      continue;
    }
    const span = words.slice(i, i + best.keys.length);
    out.push(mergeWords(span, affixes(span[0]!.text).lead + best.to + affixes(span[span.length - 1]!.text).trail));
    i += span.length;
  }
  return out;
}

/** "shit's," → "s***'s,": first letter kept, the rest starred, suffixes and punctuation preserved. */
function maskToken(token: string): string {
  const { lead, core, trail } = affixes(token);
  const apostrophe = core.search(/['’]/);
  const base = apostrophe === -1 ? core : core.slice(0, apostrophe);
  if (!isProfane(base)) return token;
  return lead + base.charAt(0) + '*'.repeat(base.length - 1) + core.slice(base.length) + trail;
}
