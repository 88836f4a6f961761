import type { ContentSafetyResult } from '../transcript/types.js';
import type { Session } from './map-reduce.js';
import type { Section } from './sections.js';
import { askJson, knownLabels, labelsSchema, score } from './structured.js';

/**
 * content_safety on the configured LLM: each section of the transcript (sections.ts) is asked which of
 * upstream's sensitive topics it discusses, with a confidence and a severity from 0 to 10; labels at or
 * above `content_safety_confidence` are kept. Upstream's labels, each with the description the model reads.
 */
export const CONTENT_SAFETY_LABELS: Record<string, string> = {
  accidents: 'man-made incidents that cause damage, injury or death',
  alcohol: 'alcoholic drinks or drinking them',
  financials: 'sensitive company financial information',
  crime_violence: 'criminal activity or extreme violence',
  drugs: 'illegal drugs or their use',
  gambling: 'casino games or betting',
  hate_speech: 'attacks on people for their race, religion, ethnicity, gender, sexual orientation or disability',
  health_issues: 'medical or health problems',
  manga: 'Japanese comics and graphic novels',
  marijuana: 'marijuana or its use',
  disasters: 'natural disasters: hurricanes, earthquakes, floods, wildfires',
  negative_news: 'news with a negative sentiment',
  nsfw: 'sexual, adult or otherwise not-safe-for-work content',
  pornography: 'pornography',
  profanity: 'swearing and obscene language',
  sensitive_social_issues: 'divisive social issues: abortion, gun control, immigration and the like',
  terrorism: 'terrorist acts and groups',
  tobacco: 'tobacco or smoking',
  weapons: 'guns, ammunition and other weapons',
};

const LABELS = Object.keys(CONTENT_SAFETY_LABELS);
const MAX_LABELS_PER_SECTION = 5;
/** Room for five labels even at a character per token (a small model's worst case), JSON whitespace included. */
const ANSWER_TOKENS = 600;
/** Severity bands of `severity_score_summary`. */
const LOW_BELOW = 0.4;
const HIGH_FROM = 0.7;

const SCHEMA = labelsSchema(LABELS, ['confidence', 'severity'], MAX_LABELS_PER_SECTION);

const INSTRUCTION =
  'Which of these sensitive topics does the transcript discuss?\n' +
  Object.entries(CONTENT_SAFETY_LABELS)
    .map(([label, what]) => `- ${label}: ${what}`)
    .join('\n') +
  '\nFor each topic it discusses, give your confidence that it does (0 to 10) and how severely it is discussed (0 to 10). ' +
  'Give an empty list when it discusses none of them. Reply as JSON: {"labels": [{"label": "...", "confidence": 0, "severity": 0}]}';

interface Label {
  label?: unknown;
  confidence?: unknown;
  severity?: unknown;
}

/** `content_safety_labels` for the sections, keeping labels with confidence ≥ `threshold` (0–1). */
export async function contentSafety(session: Session, sections: readonly Section[], threshold: number): Promise<ContentSafetyResult> {
  const results: ContentSafetyResult['results'] = [];
  for (const s of sections) {
    const answer = await askJson<{ labels?: unknown }>(session, s.text, INSTRUCTION, SCHEMA, ANSWER_TOKENS);
    const labels = knownLabels<Label>(answer, LABELS)
      .map((l) => ({ label: l.label, confidence: score(l.confidence), severity: score(l.severity) }))
      .filter((l) => l.confidence >= threshold && l.confidence > 0)
      .sort((a, b) => b.confidence - a.confidence || a.label.localeCompare(b.label));
    if (labels.length === 0) continue;
    results.push({
      text: s.text,
      labels,
      sentences_idx_start: s.sentenceStart,
      sentences_idx_end: s.sentenceEnd,
      timestamp: { start: s.start, end: s.end },
    });
  }
  return { status: 'success', results, ...summaries(results) };
}

/**
 * Whole-file figures from the flagged sections: `summary` is the chance a label is discussed anywhere
 * (1 − ∏(1 − confidence) over its sections); `severity_score_summary` is how its sections' time,
 * weighted by confidence, falls into low (< 0.4), medium and high (≥ 0.7) severity.
 */
export function summaries(results: ContentSafetyResult['results']): Pick<ContentSafetyResult, 'summary' | 'severity_score_summary'> {
  const absent = new Map<string, number>();
  const bands = new Map<string, { low: number; medium: number; high: number }>();
  for (const r of results) {
    const ms = Math.max(1, r.timestamp.end - r.timestamp.start);
    for (const l of r.labels) {
      absent.set(l.label, (absent.get(l.label) ?? 1) * (1 - l.confidence));
      const b = bands.get(l.label) ?? { low: 0, medium: 0, high: 0 };
      b[l.severity < LOW_BELOW ? 'low' : l.severity < HIGH_FROM ? 'medium' : 'high'] += ms * l.confidence;
      bands.set(l.label, b);
    }
  }
  const summary: Record<string, number> = {};
  for (const [label, p] of absent) summary[label] = 1 - p;
  const severity: ContentSafetyResult['severity_score_summary'] = {};
  for (const [label, b] of bands) {
    const total = b.low + b.medium + b.high;
    severity[label] = { low: b.low / total, medium: b.medium / total, high: b.high / total };
  }
  return { summary, severity_score_summary: severity };
}
