import { errors } from '../http/errors.js';
import type { TranscriptWord } from '../transcript/types.js';
import { toUtterances, type TranscriptUtterance } from '../text/segments.js';
import type { ChatMessage } from './backend.js';
import { answer, chunk, type Session } from './map-reduce.js';
import { transcriptLines, type SourceTranscript } from './prompt.js';

/**
 * The LLM Gateway's Speech Understanding (`POST /v1/understanding`, llm-gateway.yml): translation,
 * speaker identification and custom formatting of a transcript, on the configured LLM.
 */

const FEATURES = ['translation', 'speaker_identification', 'custom_formatting'];
/** Upstream's cap on each `known_values` entry. */
const MAX_KNOWN_VALUE_CHARS = 35;
const SPEAKER_ANSWER_TOKENS = 300;
const FORMATTING_ANSWER_TOKENS = 1000;

export interface UnderstandingRequest {
  transcriptId: string;
  /** `speech_understanding.request` as sent, echoed in the response. */
  echo: Record<string, unknown>;
  translation?: { targetLanguages: string[]; formal: boolean; matchUtterances: boolean };
  speakerIdentification?: { type: 'role' | 'name'; known: string[]; speakers: Record<string, unknown>[] };
  customFormatting?: { date?: string; phone_number?: string; email?: string };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function strings(v: unknown, where: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && s.trim() !== ''))
    throw errors.invalidParam(`${where} must be an array of non-empty strings`);
  return v.map((s: string) => s.trim());
}

function flag(v: unknown, where: string, fallback: boolean): boolean {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw errors.invalidParam(`${where} must be a boolean`);
  return v;
}

export function parseUnderstandingRequest(body: unknown): UnderstandingRequest {
  if (!isObject(body)) throw errors.invalidParam('Request body must be a JSON object');
  if (typeof body.transcript_id !== 'string' || body.transcript_id === '')
    throw errors.invalidParam('transcript_id is required: the id of a completed transcript');
  const su = body.speech_understanding;
  if (!isObject(su) || !isObject(su.request))
    throw errors.invalidParam(
      'speech_understanding.request is required: an object with translation, speaker_identification or custom_formatting',
    );
  const request = su.request;
  const unknown = Object.keys(request).filter((k) => !FEATURES.includes(k));
  if (unknown.length)
    throw errors.invalidParam(
      `speech_understanding.request.${unknown[0]} is not supported by this Earshot server. Supported: ${FEATURES.join(', ')}`,
    );
  if (Object.keys(request).length === 0)
    throw errors.invalidParam(`speech_understanding.request must name a feature: ${FEATURES.join(', ')}`);
  const out: UnderstandingRequest = { transcriptId: body.transcript_id, echo: request };

  if (request.translation !== undefined) {
    const t = request.translation;
    const where = 'speech_understanding.request.translation';
    if (!isObject(t)) throw errors.invalidParam(`${where} must be an object`);
    const targetLanguages = strings(t.target_languages, `${where}.target_languages`);
    if (targetLanguages.length === 0)
      throw errors.invalidParam(`${where}.target_languages is required: language codes such as ["es", "de"]`);
    out.translation = {
      targetLanguages,
      formal: flag(t.formal, `${where}.formal`, true),
      matchUtterances: flag(t.match_original_utterance, `${where}.match_original_utterance`, false),
    };
  }
  if (request.speaker_identification !== undefined) {
    const s = request.speaker_identification;
    const where = 'speech_understanding.request.speaker_identification';
    if (!isObject(s)) throw errors.invalidParam(`${where} must be an object`);
    if (s.speaker_type !== 'role' && s.speaker_type !== 'name') throw errors.invalidParam(`${where}.speaker_type must be "role" or "name"`);
    const known = strings(s.known_values, `${where}.known_values`);
    const long = known.find((v) => v.length > MAX_KNOWN_VALUE_CHARS);
    if (long)
      throw errors.invalidParam(
        `${where}.known_values: each value must be ${MAX_KNOWN_VALUE_CHARS} characters or less ("${long}" is ${long.length})`,
      );
    if (s.speakers !== undefined && s.speakers !== null && (!Array.isArray(s.speakers) || !s.speakers.every(isObject))) {
      throw errors.invalidParam(`${where}.speakers must be an array of objects`);
    }
    const speakers = (s.speakers ?? []) as Record<string, unknown>[];
    if (s.speaker_type === 'role' && known.length === 0 && speakers.length === 0)
      throw errors.invalidParam(`${where}.known_values (or speakers) is required when speaker_type is "role"`);
    out.speakerIdentification = { type: s.speaker_type, known, speakers };
  }
  if (request.custom_formatting !== undefined) {
    const c = request.custom_formatting;
    const where = 'speech_understanding.request.custom_formatting';
    if (!isObject(c)) throw errors.invalidParam(`${where} must be an object`);
    const formats: UnderstandingRequest['customFormatting'] = {};
    for (const key of ['date', 'phone_number', 'email'] as const) {
      const v = c[key];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'string' || v.trim() === '')
        throw errors.invalidParam(
          `${where}.${key} must be a format pattern such as ${key === 'date' ? '"mm/dd/yyyy"' : key === 'email' ? '"username@domain.com"' : '"(xxx)xxx-xxxx"'}`,
        );
      formats[key] = v;
    }
    const other = Object.keys(c).find((k) => !['date', 'phone_number', 'email'].includes(k));
    if (other) throw errors.invalidParam(`${where}.${other} is not supported. Supported: date, phone_number, email`);
    if (Object.keys(formats).length === 0) throw errors.invalidParam(`${where} needs at least one of: date, phone_number, email`);
    out.customFormatting = formats;
  }
  return out;
}

type Utterance = TranscriptUtterance & { translated_texts?: Record<string, string> };

/** Runs of words by one speaker, on copies of the words (speaker identification renames them); a transcript without speaker labels is one speaker, "A". */
function utterancesOf(words: readonly TranscriptWord[]): Utterance[] {
  return toUtterances(words.map((w) => ({ ...w, speaker: w.speaker ?? 'A' })));
}

function translationMessages(text: string, language: string, formal: boolean): ChatMessage[] {
  return [
    {
      role: 'system',
      content: 'You translate transcripts of speech. Answer with the translation only, without preamble, notes or quotes.',
    },
    {
      role: 'user',
      content: `Translate this into the language with the code "${language}"${formal ? ', in a formal register' : ', in an informal register'}.\n<text>\n${text}\n</text>`,
    },
  ];
}

/** Translates one utterance, in pieces of whole sentences when it is longer than the model can translate at once. */
async function translate(session: Session, text: string, language: string, formal: boolean): Promise<string> {
  const overhead = (await session.fits(translationMessages('', language, formal), 0)).tokens;
  const room = session.model.contextTokens - overhead;
  // The translation may be longer than the original: a third of the room for the text, the rest for the answer.
  const budget = Math.floor(room / 3);
  if (budget < 16)
    throw errors.contextExceeded(
      `The ${session.model.contextTokens}-token context of model ${session.model.name} leaves no room to translate`,
    );
  const sentences = text.split(/(?<=[.?!])\s+/).map((s) => ({ text: s, heading: '' }));
  const parts = await chunk(session, sentences, budget);
  const out: string[] = [];
  for (const part of parts) {
    const piece = part.map((l: { text: string }) => l.text).join(' ');
    out.push((await session.chat(translationMessages(piece, language, formal), room - budget)).text.trim());
  }
  return out.join(' ');
}

function speakerAsk(req: NonNullable<UnderstandingRequest['speakerIdentification']>, labels: string[]) {
  const what = req.type === 'role' ? 'role' : 'name';
  let instruction = `Identify the ${what} of each speaker (${labels.map((l) => `Speaker ${l}`).join(', ')}) from what they say.`;
  if (req.known.length) instruction += ` Choose from: ${req.known.join(', ')}.`;
  if (req.speakers.length) instruction += ` The speakers, as described: ${JSON.stringify(req.speakers)}.`;
  instruction += ` Reply as JSON mapping each speaker label to their ${what}, e.g. {"${labels[0]}": "…"}; use "Unknown" when it cannot be told.`;
  const choices = req.known.length
    ? [...req.known, 'Unknown']
    : req.speakers.length
      ? [...req.speakers.map((s) => String(s[what] ?? s.name ?? s.role ?? '')).filter(Boolean), 'Unknown']
      : null;
  const value = choices ? { type: 'string', enum: choices } : { type: 'string' };
  return {
    instruction,
    partInstruction: `Note what in this part tells the ${what} of each speaker.`,
    jsonSchema: {
      type: 'object',
      properties: Object.fromEntries(labels.map((l) => [l, value])),
      required: labels,
      additionalProperties: false,
    },
  };
}

function formattingAsk(formats: NonNullable<UnderstandingRequest['customFormatting']>) {
  const names = { date: 'date', phone_number: 'phone number', email: 'email address' } as const;
  const kinds = (Object.keys(formats) as (keyof typeof names)[]).map((k) => `each ${names[k]} as "${formats[k]}"`);
  return {
    instruction:
      `Find every ${Object.keys(formats)
        .map((k) => names[k as keyof typeof names])
        .join(', ')} in the transcripts, copied exactly as written, and rewrite ${kinds.join('; ')}. ` +
      'Reply as JSON: {"items": [{"original": "…", "formatted": "…"}]}, with an empty list if there are none.',
    partInstruction: `List every ${Object.keys(formats)
      .map((k) => names[k as keyof typeof names])
      .join(', ')} in this part, copied exactly as written.`,
    jsonSchema: {
      type: 'object',
      properties: {
        items: {
          type: 'array',
          items: {
            type: 'object',
            properties: { original: { type: 'string' }, formatted: { type: 'string' } },
            required: ['original', 'formatted'],
          },
        },
      },
      required: ['items'],
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

const replaceAll = (text: string, mapping: Record<string, string>) =>
  Object.entries(mapping).reduce((t, [from, to]) => t.split(from).join(to), text);

/** The Speech Understanding response for `transcript` (llm-gateway.yml's examples): the results, the utterances and words they apply to. */
export async function runUnderstanding(
  session: Session,
  req: UnderstandingRequest,
  transcript: SourceTranscript,
): Promise<Record<string, unknown>> {
  const utterances = utterancesOf(transcript.words);
  let words = utterances.flatMap((u) => u.words);
  const response: Record<string, unknown> = {};
  const body: Record<string, unknown> = {};

  if (req.translation) {
    const translated: Record<string, string> = {};
    for (const language of req.translation.targetLanguages) {
      const pieces: string[] = [];
      for (const u of utterances) {
        const t = await translate(session, u.text, language, req.translation.formal);
        pieces.push(t);
        if (req.translation.matchUtterances) u.translated_texts = { ...u.translated_texts, [language]: t };
      }
      translated[language] = pieces.join(' ');
    }
    response.translation = { status: 'completed' };
    body.translated_texts = translated;
  }
  if (req.speakerIdentification) {
    const labels = [...new Set(utterances.map((u) => u.speaker))];
    let mapping: Record<string, string> = {};
    if (labels.length) {
      const lines = transcriptLines([{ ...transcript, words }]);
      const a = await answer(session, lines, '', speakerAsk(req.speakerIdentification, labels), SPEAKER_ANSWER_TOKENS, true);
      const parsed = parseJson(a.text);
      if (!isObject(parsed) || !labels.every((l) => typeof parsed[l] === 'string'))
        throw errors.llmUpstream(`The model did not answer with a speaker mapping: ${a.text.slice(0, 200)}`);
      mapping = Object.fromEntries(labels.map((l) => [l, parsed[l] as string]));
    }
    for (const u of utterances) {
      u.speaker = mapping[u.speaker] ?? u.speaker;
      for (const w of u.words) w.speaker = u.speaker;
    }
    words = utterances.flatMap((u) => u.words);
    response.speaker_identification = { mapping, status: 'completed' };
  }
  if (req.customFormatting) {
    const text = utterances.map((u) => u.text).join(' ');
    const mapping: Record<string, string> = {};
    if (text) {
      const a = await answer(
        session,
        transcriptLines([{ ...transcript, words }]),
        '',
        formattingAsk(req.customFormatting),
        FORMATTING_ANSWER_TOKENS,
        true,
      );
      const parsed = parseJson(a.text);
      const items = isObject(parsed) && Array.isArray(parsed.items) ? parsed.items : [];
      // Only what the transcript really says is rewritten.
      for (const item of items) {
        if (
          isObject(item) &&
          typeof item.original === 'string' &&
          typeof item.formatted === 'string' &&
          item.original &&
          text.includes(item.original)
        )
          mapping[item.original] = item.formatted;
      }
    }
    response.custom_formatting = {
      mapping,
      formatted_text: replaceAll(text, mapping),
      ...(utterances.length && {
        formatted_utterances: utterances.map(({ words: _words, translated_texts: _t, ...u }) => ({
          ...u,
          text: replaceAll(u.text, mapping),
        })),
      }),
      status: 'completed',
    };
  }
  return {
    speech_understanding: { request: req.echo, response },
    ...body,
    text: utterances.map((u) => u.text).join(' '),
    utterances,
    words,
  };
}
