import type nlp from 'compromise';
import type { Finding, PiiPolicy } from './policies.js';

/** The text under analysis, parsed once by compromise for the recognisers that need its tags. */
export interface Analysed {
  text: string;
  doc: ReturnType<typeof nlp>;
}

/** One family of recognisers (Presidio's `EntityRecognizer`): the policies it can find, and its findings. */
export interface Recogniser {
  readonly policies: readonly PiiPolicy[];
  find(input: Analysed): Finding[];
}

/** Every match of a global regex as `[start, end, match]`. */
export function* matches(text: string, re: RegExp): Generator<RegExpExecArray> {
  for (const m of text.matchAll(re)) yield m as RegExpExecArray;
}

/** Only the digits of a string: "4111-1111 1111" → "411111111111". */
export const digitsOf = (s: string) => s.replace(/\D/g, '');

/** A span without the punctuation compromise leaves on a term ("Seattle." → "Seattle"). */
export function trimSpan(text: string, start: number, end: number): { start: number; end: number } {
  while (end > start && /[^\p{L}\p{N}%$€£¥)]/u.test(text[end - 1]!)) end--;
  while (start < end && /[^\p{L}\p{N}$€£¥(+@]/u.test(text[start]!)) start++;
  return { start, end };
}

/** The spans of a compromise selection (people(), match('#Date+'), …), trimmed of punctuation. */
export function spansOf(selection: { json: (o: object) => unknown[] }, text: string): { start: number; end: number }[] {
  return (selection.json({ offset: true, terms: false }) as { offset: { start: number; length: number } }[])
    .map((m) => trimSpan(text, m.offset.start, m.offset.start + m.offset.length))
    .filter((s) => s.end > s.start);
}
