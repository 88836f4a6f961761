import { errors } from '../http/errors.js';
import type { TranscriptWord } from '../transcript/types.js';
import { answer, type Session } from './map-reduce.js';
import { type Ask, directMessages, transcriptLines } from './prompt.js';

/**
 * One call that answers about a stretch of transcript in JSON of a given schema (llama.cpp's grammar,
 * or `response_format` on an OpenAI-compatible server), parsed. Used by the transcript features that
 * run on the LLM (content_safety, iab_categories, auto_chapters, summarization).
 */
export async function askJson<T>(
  session: Session,
  text: string,
  instruction: string,
  schema: Record<string, unknown>,
  maxTokens: number,
): Promise<T> {
  const messages = directMessages(text, '', instruction);
  const fit = await session.fits(messages, maxTokens);
  if (!fit.ok) {
    throw errors.contextExceeded(
      `A ${fit.tokens}-token request and its ${maxTokens}-token answer do not fit the ${session.model.contextTokens}-token context of model ${session.model.name}: ` +
        'configure a model with a larger context (EARSHOT_LLM_CONTEXT_TOKENS).',
    );
  }
  return parseJson<T>(session, await session.chat(messages, maxTokens, schema), maxTokens);
}

/**
 * A JSON answer about a transcript's words (as LeMUR's prompt lines), read in parts when they do not fit
 * the model's context at once (LeMUR's map-reduce; the schema holds the final answer).
 */
export async function answerJsonAbout<T>(
  session: Session,
  transcript: { words: readonly TranscriptWord[]; audioDuration: number },
  ask: Ask & { jsonSchema: Record<string, unknown> },
  maxTokens: number,
): Promise<T> {
  // Not headed with the transcript's id: the same audio submitted twice must get the same prompt, and the same answer.
  const lines = transcriptLines([{ ...transcript, id: 'of this recording', text: '' }]);
  return parseJson<T>(session, await answer(session, lines, '', ask, maxTokens, true), maxTokens);
}

/** A JSON answer, or an LlmFormatError saying what came instead. */
function parseJson<T>(session: Session, reply: { text: string; finishReason?: string }, maxTokens: number): T {
  try {
    return JSON.parse(reply.text) as T;
  } catch {
    throw new LlmFormatError(
      `model ${session.model.name} did not answer in the JSON asked for` +
        (reply.finishReason === 'length' ? ` within ${maxTokens} tokens` : '') +
        `: ${JSON.stringify(reply.text.slice(0, 80))}`,
    );
  }
}

/** The LLM answered something other than the JSON it was asked for (a remote server that ignores `response_format`, or an answer cut off). */
export class LlmFormatError extends Error {
  override name = 'LlmFormatError';
}

/** The integers 0…10 an answer scores with (a bounded grammar; divided by 10 for upstream's 0–1 scores). */
const SCORE_SCHEMA = { type: 'integer', enum: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] } as const;

/** A 0…10 score from the model as upstream's 0–1, whatever the model sent (remote servers may not hold to the schema). */
export function score(v: unknown): number {
  const n = typeof v === 'number' && Number.isFinite(v) ? v : 0;
  return Math.min(10, Math.max(0, n)) / 10;
}

/** The JSON schema of a list of up to `maxItems` labels out of `labels`, each with the named 0–10 scores. */
export function labelsSchema(labels: readonly string[], scores: readonly string[], maxItems: number): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      labels: {
        type: 'array',
        maxItems,
        items: {
          type: 'object',
          properties: { label: { type: 'string', enum: labels }, ...Object.fromEntries(scores.map((s) => [s, SCORE_SCHEMA])) },
          required: ['label', ...scores],
          additionalProperties: false,
        },
      },
    },
    required: ['labels'],
    additionalProperties: false,
  };
}

/** The answer's labels that are in `labels`, each once, whatever the model sent (a remote server may not hold to the schema). */
export function knownLabels<T extends { label?: unknown }>(
  answer: { labels?: unknown },
  labels: readonly string[],
): (T & { label: string })[] {
  const seen = new Set<string>();
  const out: (T & { label: string })[] = [];
  for (const l of Array.isArray(answer.labels) ? (answer.labels as T[]) : []) {
    if (typeof l?.label !== 'string' || !labels.includes(l.label) || seen.has(l.label)) continue;
    seen.add(l.label);
    out.push(l as T & { label: string });
  }
  return out;
}
