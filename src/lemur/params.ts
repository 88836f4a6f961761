import type { LEMUR_KINDS } from '../http/api-routes.js';
import { errors } from '../http/errors.js';
import type { Question } from './prompt.js';

export type LemurKind = (typeof LEMUR_KINDS)[number];

/** Upstream's limits on `transcript_ids` (openapi 2025-01 LemurBaseParams). */
export const MAX_TRANSCRIPTS = 100;
export const MAX_AUDIO_HOURS = 100;
/** Upstream's default `max_output_size`. */
export const DEFAULT_MAX_OUTPUT = 2000;

export interface LemurParams {
  kind: LemurKind;
  /** Lower-cased, in order, without repeats; null with `input_text`. */
  transcriptIds: string[] | null;
  inputText: string | null;
  context: unknown;
  finalModel: string | undefined;
  maxOutput: number;
  temperature: number;
  prompt?: string;
  answerFormat?: string;
  questions?: Question[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const given = (v: unknown) => v !== undefined && v !== null;

function optionalString(b: Record<string, unknown>, name: string, where = name): string | undefined {
  const v = b[name];
  if (!given(v)) return undefined;
  if (typeof v !== 'string') throw errors.invalidParam(`${where} must be a string`);
  return v;
}

function checkContext(v: unknown, where: string): void {
  if (given(v) && typeof v !== 'string' && !isObject(v)) throw errors.invalidParam(`${where} must be a string or a JSON object`);
}

/**
 * `transcript_ids`, or the Python SDK's `sources: [{id, type: "transcript"}]`. An empty list beside `input_text`
 * is no list: the Python SDK's `task(prompt, input_text=…)` sends `"sources": []`, and upstream accepts it.
 */
function transcriptIds(b: Record<string, unknown>): string[] | null {
  const ids = b.transcript_ids;
  const sources = b.sources;
  if (given(ids) && given(sources)) throw errors.invalidParam('Use either transcript_ids or sources, not both');
  let list: string[];
  if (given(sources)) {
    const ok =
      Array.isArray(sources) &&
      sources.every((s) => isObject(s) && typeof s.id === 'string' && (s.type === undefined || s.type === 'transcript'));
    if (!ok) throw errors.invalidParam('sources must be an array of {"id": "<transcript id>", "type": "transcript"}');
    list = (sources as { id: string }[]).map((s) => s.id);
  } else if (given(ids)) {
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string'))
      throw errors.invalidParam('transcript_ids must be an array of transcript ids (strings)');
    list = ids as string[];
  } else return null;
  const name = given(sources) ? 'sources' : 'transcript_ids';
  if (list.length === 0 && given(b.input_text)) return null;
  if (list.length === 0) throw errors.invalidParam(`${name} is empty: give at least one transcript id, or use input_text`);
  const unique = [...new Set(list.map((id) => id.trim().toLowerCase()))];
  if (unique.length > MAX_TRANSCRIPTS)
    throw errors.invalidParam(`${name} may list at most ${MAX_TRANSCRIPTS} transcripts (got ${unique.length})`);
  return unique;
}

function questions(b: Record<string, unknown>): Question[] {
  const qs = b.questions;
  if (!Array.isArray(qs) || qs.length === 0) throw errors.invalidParam('questions is required: a non-empty array of {"question": "..."}');
  return qs.map((q, i) => {
    const where = `questions[${i}]`;
    if (!isObject(q)) throw errors.invalidParam(`${where} must be an object with a "question"`);
    const question = optionalString(q, 'question', `${where}.question`);
    if (!question?.trim()) throw errors.invalidParam(`${where}.question is required`);
    checkContext(q.context, `${where}.context`);
    const answerFormat = optionalString(q, 'answer_format', `${where}.answer_format`);
    let answerOptions: string[] | undefined;
    if (given(q.answer_options)) {
      const opts = q.answer_options;
      if (!Array.isArray(opts) || opts.length === 0 || !opts.every((o) => typeof o === 'string' && o !== '')) {
        throw errors.invalidParam(`${where}.answer_options must be a non-empty array of strings`);
      }
      answerOptions = opts as string[];
    }
    if (answerFormat !== undefined && answerOptions) throw errors.invalidParam(`${where}: use answer_format or answer_options, not both`);
    return {
      question,
      context: q.context,
      ...(answerFormat !== undefined && { answer_format: answerFormat }),
      ...(answerOptions && { answer_options: answerOptions }),
    };
  });
}

/** Validates a LeMUR request body (openapi 2025-01 Lemur*Params), in upstream's field names. */
export function parseLemurParams(kind: LemurKind, body: unknown): LemurParams {
  if (!isObject(body)) throw errors.invalidParam('Request body must be a JSON object');
  const ids = transcriptIds(body);
  const inputText = optionalString(body, 'input_text') ?? null;
  if (ids && inputText !== null) throw errors.invalidParam('Use either transcript_ids or input_text, not both');
  if (!ids && inputText === null) throw errors.invalidParam('Either transcript_ids or input_text is required');
  if (inputText !== null && inputText.trim() === '') throw errors.invalidParam('input_text is empty');
  checkContext(body.context, 'context');

  const finalModel = optionalString(body, 'final_model');
  let maxOutput = DEFAULT_MAX_OUTPUT;
  if (given(body.max_output_size)) {
    const v = body.max_output_size;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
      throw errors.invalidParam('max_output_size must be a positive integer (tokens)');
    maxOutput = v;
  }
  let temperature = 0;
  if (given(body.temperature)) {
    const v = body.temperature;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1)
      throw errors.invalidParam('temperature must be a number between 0 and 1');
    temperature = v;
  }

  const params: LemurParams = { kind, transcriptIds: ids, inputText, context: body.context, finalModel, maxOutput, temperature };
  if (kind === 'task') {
    const prompt = optionalString(body, 'prompt');
    if (!prompt?.trim()) throw errors.invalidParam('prompt is required: the instruction for the model');
    params.prompt = prompt;
  } else if (kind === 'question-answer') {
    params.questions = questions(body);
  } else {
    params.answerFormat = optionalString(body, 'answer_format');
  }
  return params;
}
