import type { TopicsResult } from '../transcript/types.js';
import { IAB_LABELS, IAB_TOP_LEVEL } from './iab-taxonomy.js';
import type { Session } from './map-reduce.js';
import type { Section } from './sections.js';
import { askJson, knownLabels, labelsSchema, score } from './structured.js';

/**
 * iab_categories on the configured LLM: each section of the transcript (sections.ts) is asked for the
 * IAB topics it is about, each with a relevance from 0 to 10; the answer can only name labels of the
 * taxonomy (iab-taxonomy.ts), as the schema's enum holds the model to them.
 */

const MAX_LABELS_PER_SECTION = 5;
/** Room for five of the longest labels even at a character per token, JSON whitespace included. */
const ANSWER_TOKENS = 700;

const SCHEMA = labelsSchema(IAB_LABELS, ['relevance'], MAX_LABELS_PER_SECTION);

const INSTRUCTION =
  `Which topics of the IAB Content Taxonomy is the transcript about? The taxonomy's top-level topics are: ${IAB_TOP_LEVEL.join(', ')}. ` +
  'Labels are written as Topic>Subtopic (for example "NewsAndPolitics>Weather" or "Home&Garden>IndoorEnvironmentalQuality"); ' +
  `name up to ${MAX_LABELS_PER_SECTION}, the most specific that fit, each with how relevant it is (0 to 10). ` +
  'Reply as JSON: {"labels": [{"label": "...", "relevance": 0}]}';

interface Label {
  label?: unknown;
  relevance?: unknown;
}

/** `iab_categories_result` for the sections. */
export async function detectTopics(session: Session, sections: readonly Section[]): Promise<TopicsResult> {
  const results: TopicsResult['results'] = [];
  for (const s of sections) {
    const answer = await askJson<{ labels?: unknown }>(session, s.text, INSTRUCTION, SCHEMA, ANSWER_TOKENS);
    const labels = knownLabels<Label>(answer, IAB_LABELS)
      .map((l) => ({ relevance: score(l.relevance), label: l.label }))
      .filter((l) => l.relevance > 0)
      .sort((a, b) => b.relevance - a.relevance || a.label.localeCompare(b.label));
    if (labels.length) results.push({ text: s.text, labels, timestamp: { start: s.start, end: s.end } });
  }
  return { status: 'success', results, summary: topicSummary(results) };
}

/**
 * How relevant each label is to the whole file: its relevance in each section weighted by the
 * section's length, summed, and scaled so the most relevant label is 1 (upstream's "100% relevant").
 */
export function topicSummary(results: TopicsResult['results']): Record<string, number> {
  const totals = new Map<string, number>();
  for (const r of results) {
    const ms = Math.max(1, r.timestamp.end - r.timestamp.start);
    for (const l of r.labels) totals.set(l.label, (totals.get(l.label) ?? 0) + l.relevance * ms);
  }
  const top = Math.max(0, ...totals.values());
  return Object.fromEntries([...totals].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([label, t]) => [label, t / top]));
}
