import { errors } from '../http/errors.js';
import { isHttpUrl, webhookHeaderProblem } from '../http/input.js';
import { piiParams, type PiiParams } from '../understanding/pii/params.js';

/**
 * Validation and defaults for `POST /v2/transcript` (AssemblyAI's `TranscriptParams`).
 * Messages follow upstream's documented form, e.g. "format_text must be a Boolean".
 */

export type Kind = 'boolean' | 'integer' | 'number' | 'string' | 'string[]' | 'object' | 'array' | 'custom_spelling';

export interface Field {
  kind: Kind;
  nullable?: boolean;
  min?: number;
  max?: number;
  oneOf?: readonly string[];
}

/** Largest `audio_start_from` / `audio_end_at` (ms): 2^31 - 1, about 24 days, far beyond any audio and a 32-bit integer wherever it goes. */
const MAX_AUDIO_MS = 2_147_483_647;

/** Every field Earshot reads, as it validates them; the doctor's upstream table is built from it. */
export const PARAM_FIELDS: Record<string, Field> = {
  audio_url: { kind: 'string' },
  speech_models: { kind: 'string[]', nullable: true },
  speech_model: { kind: 'string', nullable: true },
  language_code: { kind: 'string', nullable: true },
  language_codes: { kind: 'string[]', nullable: true },
  language_detection: { kind: 'boolean' },
  language_confidence_threshold: { kind: 'number', min: 0, max: 1 },
  language_detection_options: { kind: 'object' },
  punctuate: { kind: 'boolean' },
  format_text: { kind: 'boolean' },
  disfluencies: { kind: 'boolean' },
  filter_profanity: { kind: 'boolean' },
  multichannel: { kind: 'boolean' },
  dual_channel: { kind: 'boolean' },
  audio_start_from: { kind: 'integer', min: 0, max: MAX_AUDIO_MS },
  audio_end_at: { kind: 'integer', min: 1, max: MAX_AUDIO_MS },
  custom_spelling: { kind: 'custom_spelling', nullable: true },
  keyterms_prompt: { kind: 'string[]' },
  prompt: { kind: 'string' },
  temperature: { kind: 'number', min: 0, max: 1 },
  word_boost: { kind: 'string[]' },
  boost_param: { kind: 'string', oneOf: ['low', 'default', 'high'] },
  remove_audio_tags: { kind: 'string', nullable: true, oneOf: ['all'] },
  speaker_labels: { kind: 'boolean' },
  speakers_expected: { kind: 'integer', nullable: true, min: 1 },
  speaker_options: { kind: 'object', nullable: true },
  speech_threshold: { kind: 'number', nullable: true, min: 0, max: 1 },
  redact_pii: { kind: 'boolean' },
  redact_pii_audio: { kind: 'boolean' },
  redact_pii_audio_quality: { kind: 'string', oneOf: ['mp3', 'wav'] },
  redact_pii_audio_options: { kind: 'object' },
  redact_pii_policies: { kind: 'string[]' },
  redact_pii_sub: { kind: 'string', nullable: true, oneOf: ['entity_name', 'hash'] },
  auto_highlights: { kind: 'boolean' },
  content_safety: { kind: 'boolean' },
  content_safety_confidence: { kind: 'integer', min: 25, max: 100 },
  iab_categories: { kind: 'boolean' },
  sentiment_analysis: { kind: 'boolean' },
  entity_detection: { kind: 'boolean' },
  auto_chapters: { kind: 'boolean' },
  summarization: { kind: 'boolean' },
  summary_model: { kind: 'string', oneOf: ['informative', 'conversational', 'catchy'] },
  summary_type: { kind: 'string', oneOf: ['bullets', 'bullets_verbose', 'gist', 'headline', 'paragraph'] },
  custom_topics: { kind: 'boolean' },
  topics: { kind: 'string[]' },
  speech_understanding: { kind: 'object' },
  webhook_url: { kind: 'string', nullable: true },
  webhook_auth_header_name: { kind: 'string', nullable: true },
  webhook_auth_header_value: { kind: 'string', nullable: true },
};

/** Features Earshot's engines do not provide yet: asking for them is an error, not a silent no-op. */
export const UNSUPPORTED_WHEN_TRUE = ['dual_channel'] as const;

/** The features that run on the configured LLM (LeMUR's), refused when there is none. */
export const LLM_FEATURES = ['summarization', 'auto_chapters', 'content_safety', 'iab_categories'] as const;
export type LlmFeature = (typeof LLM_FEATURES)[number];

/** The LLM features a request asks for (`=== true`: transcripts stored before they existed lack them). */
export const llmFeaturesOf = (p: TranscriptParams): LlmFeature[] => LLM_FEATURES.filter((f) => p[f] === true);

export type SummaryModel = 'informative' | 'conversational' | 'catchy';
export type SummaryType = 'bullets' | 'bullets_verbose' | 'gist' | 'headline' | 'paragraph';

/** Upstream's pairs: catchy writes only headlines and gists, the other two everything but gists. */
export const SUMMARY_TYPES_OF: Record<SummaryModel, readonly SummaryType[]> = {
  informative: ['bullets', 'bullets_verbose', 'headline', 'paragraph'],
  conversational: ['bullets', 'bullets_verbose', 'headline', 'paragraph'],
  catchy: ['headline', 'gist'],
};

/** What a refused feature lacks, when that is more than "not built yet". */
const WHY_UNSUPPORTED: Partial<Record<(typeof UNSUPPORTED_WHEN_TRUE)[number], string>> = {
  dual_channel: 'deprecated upstream: use multichannel',
};

/** `language_detection_options`, normalised: null `expected_languages` is upstream's `["all"]`. */
export interface LanguageDetectionOptions {
  expected_languages: string[] | null;
  fallback_language: string;
}

function parseLanguageDetectionOptions(raw: Record<string, unknown>): LanguageDetectionOptions {
  const at = (key: string) => `language_detection_options.${key}`;
  for (const [key, v] of Object.entries(raw)) {
    if (v === null || v === undefined) continue;
    if (key === 'expected_languages') checkField(at(key), { kind: 'string[]' }, v);
    else if (key === 'fallback_language') checkField(at(key), { kind: 'string' }, v);
    else if (key === 'code_switching') {
      checkField(at(key), { kind: 'boolean' }, v);
      // Whisper's identification names one language for the first 30 s; nothing here finds the switches.
      if (v === true) throw errors.unsupportedFeature([at(key)]);
    } else if (key === 'code_switching_confidence_threshold') checkField(at(key), { kind: 'number', min: 0, max: 1 }, v);
    else
      throw errors.invalidParam(
        `language_detection_options has no field ${key}: use expected_languages, fallback_language, code_switching and code_switching_confidence_threshold`,
      );
  }
  const listed = (raw.expected_languages as string[] | null | undefined) ?? [];
  const expected = listed.length === 0 || listed.includes('all') ? null : listed.map((l) => l.toLowerCase());
  const fallback = ((raw.fallback_language as string | null | undefined) ?? 'auto').toLowerCase();
  if (expected && fallback !== 'auto' && !expected.includes(fallback))
    throw errors.invalidParam('language_detection_options.fallback_language must be one of the expected_languages, or "auto"');
  return { expected_languages: expected, fallback_language: fallback };
}

/** `speaker_options`; unset bounds are null (upstream's defaults apply when the job runs, as the maximum depends on the audio's length). */
export interface SpeakerOptions {
  min_speakers_expected: number | null;
  max_speakers_expected: number | null;
}

/** `speaker_options` fields the SDKs type but Earshot's clustering cannot honour: refused by name. */
const UNAPPLIED_SPEAKER_OPTIONS = ['use_two_stage_clustering', 'short_file_diarization_method', 'long_file_diarization_method'];

function parseSpeakerOptions(raw: Record<string, unknown>): SpeakerOptions {
  const out: SpeakerOptions = { min_speakers_expected: null, max_speakers_expected: null };
  for (const [key, v] of Object.entries(raw)) {
    if (key !== 'min_speakers_expected' && key !== 'max_speakers_expected') {
      if (UNAPPLIED_SPEAKER_OPTIONS.includes(key)) throw errors.unsupportedFeature([`speaker_options.${key}`]);
      throw errors.invalidParam(`speaker_options has no field ${key}: use min_speakers_expected and max_speakers_expected`);
    }
    if (v === null || v === undefined) continue;
    checkField(`speaker_options.${key}`, { kind: 'integer', min: 1 }, v);
    out[key] = v as number;
  }
  const { min_speakers_expected: min, max_speakers_expected: max } = out;
  if (min !== null && max !== null && max < min)
    throw errors.invalidParam('max_speakers_expected must be greater than or equal to min_speakers_expected');
  return out;
}

export interface CustomSpelling {
  from: string[];
  to: string;
}

/** The stored, normalised request: what the transcript echoes and what the pipeline reads. */
export interface TranscriptParams extends PiiParams {
  audio_url: string;
  speech_models: string[] | null;
  speech_model: string | null;
  language_code: string | null;
  language_codes: string[] | null;
  language_confidence_threshold: number;
  /** Absent in transcripts stored before language detection existed. */
  language_detection?: boolean;
  language_detection_options?: LanguageDetectionOptions | null;
  punctuate: boolean;
  format_text: boolean;
  disfluencies: boolean;
  filter_profanity: boolean;
  /** Absent from transcripts stored before multichannel existed: read it as `=== true`. */
  multichannel: boolean;
  audio_start_from: number | null;
  audio_end_at: number | null;
  custom_spelling: CustomSpelling[] | null;
  keyterms_prompt: string[];
  prompt: string | null;
  temperature: number | null;
  word_boost: string[];
  boost_param: string | null;
  remove_audio_tags: string | null;
  speaker_labels: boolean;
  speakers_expected: number | null;
  speaker_options: SpeakerOptions | null;
  speech_threshold: number | null;
  /** Absent from transcripts stored before they existed: read them as `=== true`. */
  sentiment_analysis: boolean;
  auto_highlights: boolean;
  redact_pii_audio_quality: string | null;
  redact_pii_policies: string[] | null;
  redact_pii_sub: string | null;
  /** Absent from transcripts stored before they existed: read them as `=== true`. */
  summarization: boolean;
  auto_chapters: boolean;
  content_safety: boolean;
  iab_categories: boolean;
  /** 25–100 (upstream's default 50). */
  content_safety_confidence: number;
  /** With summarization, upstream's defaults filled in (informative, bullets); else as sent. */
  summary_model: SummaryModel | null;
  summary_type: SummaryType | null;
  webhook_url: string | null;
  webhook_auth_header_name: string | null;
  webhook_auth_header_value: string | null;
}

const ARTICLE: Record<Kind, string> = {
  boolean: 'a Boolean',
  integer: 'an Integer',
  number: 'a Number',
  string: 'a String',
  'string[]': 'a list of strings',
  object: 'an Object',
  array: 'a list',
  custom_spelling: 'a list of objects like {"from": ["..."], "to": "..."}',
};

function typeOk(kind: Kind, v: unknown): boolean {
  switch (kind) {
    case 'boolean':
      return typeof v === 'boolean';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'string':
      return typeof v === 'string';
    case 'string[]':
      return Array.isArray(v) && v.every((x) => typeof x === 'string');
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array':
      return Array.isArray(v);
    case 'custom_spelling':
      return (
        Array.isArray(v) &&
        v.every(
          (x) =>
            typeof x === 'object' &&
            x !== null &&
            Array.isArray((x as CustomSpelling).from) &&
            (x as CustomSpelling).from.length > 0 &&
            (x as CustomSpelling).from.every((f) => typeof f === 'string' && f.trim() !== '') &&
            typeof (x as CustomSpelling).to === 'string',
        )
      );
  }
}

function checkField(name: string, field: Field, v: unknown): void {
  if (v === null) {
    if (field.nullable) return;
    throw errors.invalidParam(`${name} must be ${ARTICLE[field.kind]}, not null`);
  }
  if (!typeOk(field.kind, v)) throw errors.invalidParam(`${name} must be ${ARTICLE[field.kind]}`);
  if (typeof v === 'number') {
    if (field.min !== undefined && v < field.min) throw errors.invalidParam(`${name} must be at least ${field.min}`);
    if (field.max !== undefined && v > field.max) throw errors.invalidParam(`${name} must be at most ${field.max}`);
  }
  if (field.oneOf && typeof v === 'string' && !field.oneOf.includes(v)) {
    throw errors.invalidParam(`${name} must be one of: ${field.oneOf.join(', ')}`);
  }
}

/** Validates a parsed JSON body and fills upstream's defaults. Unknown fields are ignored, as newer SDKs send newer options. */
export function parseTranscriptParams(body: unknown): TranscriptParams {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw errors.invalidParam('Request body must be a JSON object');
  }
  const b = body as Record<string, unknown>;
  if (b.audio_url === undefined || b.audio_url === null || b.audio_url === '') throw errors.missingAudioUrl();
  for (const [name, field] of Object.entries(PARAM_FIELDS)) {
    if (b[name] !== undefined) checkField(name, field, b[name]);
  }
  const audioUrl = (b.audio_url as string).trim();
  if (!/^https?:\/\//i.test(audioUrl)) throw errors.badAudioUrl();
  try {
    new URL(audioUrl);
  } catch {
    throw errors.invalidParam('audio_url must be a valid URL');
  }
  if (typeof b.webhook_url === 'string' && !isHttpUrl(b.webhook_url))
    throw errors.invalidParam('webhook_url must be a valid http or https URL');
  if ((b.webhook_auth_header_name == null) !== (b.webhook_auth_header_value == null)) {
    throw errors.invalidParam('webhook_auth_header_name and webhook_auth_header_value must be set together');
  }
  const headerProblem =
    typeof b.webhook_auth_header_name === 'string' &&
    webhookHeaderProblem(b.webhook_auth_header_name, b.webhook_auth_header_value as string);
  if (headerProblem) throw errors.invalidParam(headerProblem);
  const start = (b.audio_start_from as number | undefined) ?? null;
  const end = (b.audio_end_at as number | undefined) ?? null;
  if (start !== null && end !== null && end <= start) {
    throw errors.invalidParam('audio_end_at must be greater than audio_start_from');
  }
  const unsupported = UNSUPPORTED_WHEN_TRUE.filter((k) => b[k] === true);
  if (unsupported.length > 0)
    throw errors.unsupportedFeature(unsupported.map((k) => (k in WHY_UNSUPPORTED ? `${k} (${WHY_UNSUPPORTED[k]})` : k)));
  const pii = piiParams(b);
  const summary = summaryParams(b);
  const detect = b.language_detection === true;
  if (detect && b.language_code != null)
    throw errors.invalidParam('language_code and language_detection cannot be used together: set one, or neither for en_us');
  if (!detect && typeof b.language_confidence_threshold === 'number' && b.language_confidence_threshold > 0)
    throw errors.invalidParam('language_confidence_threshold applies to automatic language detection: set language_detection to true');

  const pick = <T>(name: string, fallback: T): T => (b[name] === undefined ? fallback : (b[name] as T));
  return {
    audio_url: audioUrl,
    speech_models: pick('speech_models', null),
    speech_model: pick('speech_model', null),
    // With language detection the language is the detector's to find: none is assumed.
    language_code: pick<string | null>('language_code', detect ? null : 'en_us'),
    language_codes: pick('language_codes', null),
    language_confidence_threshold: pick('language_confidence_threshold', 0),
    language_detection: detect,
    language_detection_options: detect
      ? parseLanguageDetectionOptions((b.language_detection_options as Record<string, unknown> | null) ?? {})
      : null,
    punctuate: pick('punctuate', true),
    format_text: pick('format_text', true),
    disfluencies: pick('disfluencies', false),
    filter_profanity: pick('filter_profanity', false),
    multichannel: pick('multichannel', false),
    audio_start_from: start,
    audio_end_at: end,
    custom_spelling: pick('custom_spelling', null),
    keyterms_prompt: pick('keyterms_prompt', []),
    prompt: pick('prompt', null),
    temperature: pick('temperature', null),
    word_boost: pick('word_boost', []),
    boost_param: pick('boost_param', null),
    remove_audio_tags: pick('remove_audio_tags', null),
    speaker_labels: pick('speaker_labels', false),
    speakers_expected: pick('speakers_expected', null),
    speaker_options: b.speaker_options == null ? null : parseSpeakerOptions(b.speaker_options as Record<string, unknown>),
    speech_threshold: pick('speech_threshold', null),
    sentiment_analysis: pick('sentiment_analysis', false),
    auto_highlights: pick('auto_highlights', false),
    ...pii,
    redact_pii_audio_quality: pick('redact_pii_audio_quality', null),
    redact_pii_policies: pick('redact_pii_policies', null),
    redact_pii_sub: pick('redact_pii_sub', null),
    ...summary,
    auto_chapters: pick('auto_chapters', false),
    content_safety: pick('content_safety', false),
    iab_categories: pick('iab_categories', false),
    content_safety_confidence: pick('content_safety_confidence', 50),
    webhook_url: pick('webhook_url', null),
    webhook_auth_header_name: pick('webhook_auth_header_name', null),
    webhook_auth_header_value: pick('webhook_auth_header_value', null),
  };
}

/** summarization's options, with upstream's defaults and its rules on which go together. */
function summaryParams(b: Record<string, unknown>): Pick<TranscriptParams, 'summarization' | 'summary_model' | 'summary_type'> {
  const on = b.summarization === true;
  if (on && b.auto_chapters === true) throw errors.invalidParam('auto_chapters and summarization cannot both be enabled: choose one');
  const model = (b.summary_model as SummaryModel | undefined) ?? (on ? 'informative' : null);
  const type = (b.summary_type as SummaryType | undefined) ?? (on ? (model === 'catchy' ? 'headline' : 'bullets') : null);
  if (on && model && type && !SUMMARY_TYPES_OF[model].includes(type))
    throw errors.invalidParam(`summary_model ${model} supports the summary_type values ${SUMMARY_TYPES_OF[model].join(', ')}, not ${type}`);
  if (on && model === 'conversational' && b.speaker_labels !== true && b.multichannel !== true)
    throw errors.invalidParam('summary_model conversational needs speaker_labels or multichannel: it summarizes who said what');
  return { summarization: on, summary_model: model, summary_type: type };
}

/**
 * Options valid upstream that no Earshot engine applies yet: refused, naming the engine, rather than echoed
 * as if they had worked. Their no-op values (an empty list or a prompt) pass.
 */
export function refuseUnappliedOptions(p: TranscriptParams, model: string): void {
  const unapplied = [p.keyterms_prompt.length > 0 && 'keyterms_prompt', !!p.prompt && 'prompt'].filter(
    (name): name is string => name !== false,
  );
  if (unapplied.length > 0) throw errors.unsupportedOption(unapplied, model);
}
