/**
 * Presidio's context enhancement: a finding whose pattern alone is weak (nine digits, three digits)
 * becomes likely when words like "social security" or "cvv" are said just before it.
 */
import type { Finding } from './policies.js';

/** Presidio's defaults: a context word adds this much, and a finding with context scores at least the floor. */
export const CONTEXT_BOOST = 0.35;
export const CONTEXT_FLOOR = 0.4;
/** Words looked at before and after a finding. */
const BEFORE = 6;
const AFTER = 2;

/** Words with a letter: the digits of a neighbouring number do not push context words out of the window. */
const WORD = /[\p{L}\p{N}'#]*\p{L}[\p{L}\p{N}'#]*/gu;

function wordsOf(text: string): string[] {
  return (text.toLowerCase().match(WORD) ?? []).map((w) => w.replace(/'s$/, ''));
}

/** Whether one of `phrases` ("security code", "cvv") is among the words around `[start, end)`. */
export function hasContext(text: string, start: number, end: number, phrases: readonly string[]): boolean {
  const before = wordsOf(text.slice(Math.max(0, start - 120), start)).slice(-BEFORE);
  const after = wordsOf(text.slice(end, end + 60)).slice(0, AFTER);
  const around = ` ${[...before, ...after].join(' ')} `;
  return phrases.some((p) => around.includes(` ${p} `));
}

/** The finding with its score raised when a context word is near. */
export function withContext(text: string, f: Finding, phrases: readonly string[]): Finding {
  if (!hasContext(text, f.start, f.end, phrases)) return f;
  return { ...f, score: Math.min(1, Math.max(CONTEXT_FLOOR, f.score + CONTEXT_BOOST)) };
}
