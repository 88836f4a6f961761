/**
 * PII in a transcript's words. The recognisers read text, so the words are joined into one, with
 * each word's span remembered; findings map back to the words they touch. Speech recognisers say
 * digits one at a time ("five five five one two three four" stays words after formatting, as a
 * lone "five" is not turned into a digit), so a run of spoken digits is read as the number it spells.
 */
import { affixes } from '../../text/format.js';
import type { TranscriptWord } from '../../transcript/types.js';
import { detectPii } from './index.js';
import type { Finding, PiiPolicy } from './policies.js';

const DIGIT_WORDS: Record<string, string> = {
  zero: '0',
  oh: '0',
  o: '0',
  one: '1',
  two: '2',
  three: '3',
  four: '4',
  five: '5',
  six: '6',
  seven: '7',
  eight: '8',
  nine: '9',
};

/** The digits a word stands for inside a spoken number ("five" → "5", "23" → "23"), else null. */
function spokenDigits(text: string): string | null {
  const core = text.toLowerCase();
  if (/^\d+$/.test(core)) return core;
  return DIGIT_WORDS[core] ?? null;
}

/** A word inside the analysed text: its index among the words and its character span there. */
interface Placed {
  index: number;
  start: number;
  end: number;
}

/** A finding mapped onto the words: the first and last word it touches (inclusive). */
export interface WordFinding extends Finding {
  firstWord: number;
  lastWord: number;
  /** The finding's words as the transcript has them ("five five five …", not "555…"). */
  text: string;
}

/**
 * The text the recognisers read: words joined by spaces, except that a run of two or more spoken
 * digits with at least one digit word ("five five five one 23 …") becomes the digits it spells,
 * with no spaces, each word holding its own digits ("oh" and "o" count as 0 only inside such a
 * run), and a spoken e-mail address ("john at example dot com") becomes the address.
 */
export function analysedText(words: readonly TranscriptWord[]): { text: string; placed: Placed[] } {
  let text = '';
  const placed: Placed[] = [];
  for (let i = 0; i < words.length; ) {
    const digits = digitRun(words, i);
    const run = digits.length >= 2 ? digits : emailRun(words, i);
    if (text !== '') text += ' ';
    if (run.length >= 2) {
      const trail = affixes(words[i + run.length - 1]!.text).trail;
      text += affixes(words[i]!.text).lead;
      run.forEach((digits, j) => {
        placed.push({ index: i + j, start: text.length, end: text.length + digits.length });
        text += digits;
      });
      text += trail;
      i += run.length;
      continue;
    }
    placed.push({ index: i, start: text.length, end: text.length + words[i]!.text.length });
    text += words[i]!.text;
    i++;
  }
  return { text, placed };
}

const TLDS = new Set([
  'com',
  'org',
  'net',
  'edu',
  'gov',
  'io',
  'co',
  'uk',
  'us',
  'de',
  'fr',
  'ca',
  'au',
  'info',
  'biz',
  'ai',
  'app',
  'dev',
]);
const LABEL = /^[a-z0-9][a-z0-9-]*$/i;

/**
 * A spoken e-mail address starting at `from` ("john dot smith at gmail dot com"), as the text of each
 * word ("john", ".", "smith", "@", "gmail", ".", "com"); empty if there is none. The domain must end
 * in a common top-level domain, so "look at this" is not an address.
 */
function emailRun(words: readonly TranscriptWord[], from: number): string[] {
  const parts: string[] = [];
  let at = -1;
  let dotsAfterAt = 0;
  for (let i = from; i < words.length && parts.length < 15; i++) {
    const { lead, core, trail } = affixes(words[i]!.text);
    if (i > from && lead !== '') break;
    const k = core.toLowerCase();
    const expectLabel = parts.length % 2 === 0;
    if (expectLabel) {
      if (!LABEL.test(k) || k === 'at' || k === 'dot') break;
      parts.push(k);
      if (at !== -1 && dotsAfterAt > 0 && TLDS.has(k) && (trail !== '' || !/^dot$/i.test(affixes(words[i + 1]?.text ?? '').core)))
        return parts;
    } else if (k === 'dot') {
      parts.push('.');
      if (at !== -1) dotsAfterAt++;
    } else if (k === 'at' && at === -1) {
      at = parts.length;
      parts.push('@');
    } else break;
    if (trail !== '') break;
  }
  return [];
}

/** The digits of each word of the spoken-digit run starting at `from` (empty if none, or one without a digit word). */
function digitRun(words: readonly TranscriptWord[], from: number): string[] {
  const run: string[] = [];
  let spoken = false;
  for (let i = from; i < words.length; i++) {
    const { lead, core, trail } = affixes(words[i]!.text);
    if (i > from && lead !== '') break;
    const digits = spokenDigits(core);
    // "oh" only continues a number: "oh five five" is more often "oh, …" than a zero.
    if (digits === null || (run.length === 0 && /^oh?$/i.test(core))) break;
    if (!/^\d+$/.test(core)) spoken = true;
    run.push(digits);
    if (trail !== '') break;
  }
  return spoken ? run : [];
}

/** The requested PII in `words`, each finding with the words it covers. */
export function findPiiInWords(words: readonly TranscriptWord[], policies: ReadonlySet<PiiPolicy>): WordFinding[] {
  const { text, placed } = analysedText(words);
  const out: WordFinding[] = [];
  for (const f of detectPii(text, policies)) {
    const touched = placed.filter((p) => p.start < f.end && f.start < p.end);
    if (touched.length === 0) continue;
    const firstWord = touched[0]!.index;
    const lastWord = touched[touched.length - 1]!.index;
    out.push({ ...f, firstWord, lastWord, text: spanText(words.slice(firstWord, lastWord + 1)) });
  }
  return out;
}

/** The words' text without the punctuation around the span ("Smith," → "Smith", "[PERSON_NAME]." → "[PERSON_NAME]"). */
export function spanText(words: readonly TranscriptWord[]): string {
  return words
    .map((w) => w.text)
    .join(' ')
    .replace(/^[^\p{L}\p{N}$€£¥(+@#[]+|[^\p{L}\p{N}%$€£¥)#\]]+$/gu, '');
}
