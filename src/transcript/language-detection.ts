import type { LanguageScore } from '../engines/language-id.js';
import type { LanguageDetectionOptions } from './params.js';

/** The language a transcript is transcribed in, as upstream reports it: `language_code` and `language_confidence`. */
export interface DetectedLanguage {
  code: string;
  confidence: number;
}

/** A language's confidence as upstream reports it, four decimals (0.9959), the same on every machine whatever its float rounding. */
export const languageConfidence = (p: number) => Math.round(p * 10_000) / 10_000;

/** Whisper's code for an AssemblyAI one: `en_us` → `en`. */
const base = (code: string) => code.split(/[_-]/)[0]!;

/**
 * Upstream's choice from the identifier's scores. Without `expected_languages`, the most probable language. With them,
 * detection is restricted to those (their probabilities renormalised among themselves, which is the confidence); when
 * the audio's most probable language is none of them, `fallback_language` is used, `auto` meaning the most probable of
 * the expected ones. A detected code is reported as the expected entry that named it (`en_uk`), English otherwise as
 * `en_us`, as upstream's transcripts show it.
 */
export function chooseLanguage(scores: LanguageScore[], options: LanguageDetectionOptions | null | undefined): DetectedLanguage {
  const expected = options?.expected_languages ?? null;
  const report = (code: string) => expected?.find((e) => base(e) === code) ?? (code === 'en' ? 'en_us' : code);
  if (!expected) return { code: report(scores[0]!.code), confidence: languageConfidence(scores[0]!.probability) };
  const wanted = new Set(expected.map(base));
  const candidates = scores.filter((s) => wanted.has(s.code));
  const total = candidates.reduce((a, s) => a + s.probability, 0);
  const share = (s: LanguageScore) => (total > 0 ? languageConfidence(s.probability / total) : 0);
  const fallback = options!.fallback_language;
  const chosen = wanted.has(scores[0]!.code) || fallback === 'auto' ? candidates[0] : candidates.find((s) => s.code === base(fallback));
  // An expected language Whisper does not know has no score: it can only be the fallback, with no confidence.
  return chosen
    ? { code: report(chosen.code), confidence: share(chosen) }
    : { code: fallback === 'auto' ? expected[0]! : fallback, confidence: 0 };
}

/** Upstream's error text when the detected language's confidence is below `language_confidence_threshold`. */
export function confidenceBelowThreshold(detected: DetectedLanguage, threshold: number): string {
  return `detected language '${detected.code}', confidence ${detected.confidence.toFixed(4)}, is below the requested confidence threshold value of '${threshold}'`;
}

/**
 * When the engine cannot transcribe the detected language. Upstream routes to another of its models instead; with one
 * engine per server Earshot fails the transcript, naming what would work (no upstream text to match).
 */
export function detectedLanguageUnsupported(detected: DetectedLanguage, model: string, supported: string[]): string {
  return (
    `The detected language ${detected.code} (confidence ${detected.confidence.toFixed(4)}) is not supported by the speech model ${model} on this Earshot server. ` +
    `Supported: ${supported.join(', ')}. Set expected_languages to the languages you expect, or run a multilingual engine (see docs/engines.md).`
  );
}
