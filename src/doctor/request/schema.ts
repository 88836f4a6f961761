/**
 * The request bodies the pasted-request check validates, as compact field tables taken from
 * AssemblyAI's OpenAPI documents (test/doctor/request/schema.test.ts proves they still agree):
 * `TranscriptParams` at the spec's HEAD, fields the current API dropped, and LeMUR's params
 * from the last spec that had them.
 */
import { PII_POLICIES } from '../../understanding/pii/policies.js';

export interface FieldSpec {
  type: 'boolean' | 'integer' | 'number' | 'string' | 'array' | 'object';
  nullable?: boolean;
  enum?: string[];
  min?: number;
  max?: number;
  deprecated?: boolean;
  items?: FieldSpec['type'];
  itemEnum?: readonly string[];
}

const LANGUAGE_CODES = [
  'en',
  'en_au',
  'en_uk',
  'en_us',
  'es',
  'fr',
  'de',
  'it',
  'pt',
  'nl',
  'af',
  'sq',
  'am',
  'ar',
  'hy',
  'as',
  'az',
  'ba',
  'eu',
  'be',
  'bn',
  'bs',
  'br',
  'bg',
  'my',
  'ca',
  'zh',
  'hr',
  'cs',
  'da',
  'et',
  'fo',
  'fi',
  'gl',
  'ka',
  'el',
  'gu',
  'ht',
  'ha',
  'haw',
  'he',
  'hi',
  'hu',
  'is',
  'id',
  'ja',
  'jw',
  'kn',
  'kk',
  'km',
  'ko',
  'lo',
  'la',
  'lv',
  'ln',
  'lt',
  'lb',
  'mk',
  'mg',
  'ms',
  'ml',
  'mt',
  'mi',
  'mr',
  'mn',
  'ne',
  'no',
  'nn',
  'oc',
  'pa',
  'ps',
  'fa',
  'pl',
  'ro',
  'ru',
  'sa',
  'sr',
  'sn',
  'sd',
  'si',
  'sk',
  'sl',
  'so',
  'su',
  'sw',
  'sv',
  'tl',
  'tg',
  'ta',
  'tt',
  'te',
  'th',
  'bo',
  'tr',
  'tk',
  'uk',
  'ur',
  'uz',
  'vi',
  'cy',
  'yi',
  'yo',
];

/** `POST /v2/transcript` (TranscriptParams at HEAD; `audio_url` and `speech_models` are required there). */
export const TRANSCRIPT_FIELDS: Record<string, FieldSpec> = {
  audio_end_at: { type: 'integer' },
  audio_start_from: { type: 'integer' },
  audio_url: { type: 'string' },
  auto_chapters: { type: 'boolean', deprecated: true },
  auto_highlights: { type: 'boolean' },
  content_safety: { type: 'boolean' },
  content_safety_confidence: { type: 'integer', min: 25, max: 100 },
  custom_spelling: { type: 'array', items: 'object' },
  custom_topics: { type: 'boolean', deprecated: true },
  disfluencies: { type: 'boolean' },
  entity_detection: { type: 'boolean' },
  filter_profanity: { type: 'boolean' },
  format_text: { type: 'boolean' },
  iab_categories: { type: 'boolean' },
  keyterms_prompt: { type: 'array', items: 'string' },
  language_code: { type: 'string', nullable: true },
  language_codes: { type: 'array', nullable: true, items: 'string', itemEnum: LANGUAGE_CODES },
  language_confidence_threshold: { type: 'number', min: 0, max: 1 },
  language_detection: { type: 'boolean' },
  language_detection_options: { type: 'object' },
  multichannel: { type: 'boolean' },
  prompt: { type: 'string' },
  punctuate: { type: 'boolean' },
  redact_pii: { type: 'boolean' },
  redact_pii_audio: { type: 'boolean' },
  redact_pii_audio_options: { type: 'object' },
  redact_pii_audio_quality: { type: 'string', enum: ['mp3', 'wav'] },
  redact_pii_policies: { type: 'array', items: 'string', itemEnum: PII_POLICIES },
  redact_pii_sub: { type: 'string', nullable: true, enum: ['entity_name', 'hash'] },
  remove_audio_tags: { type: 'string', nullable: true, enum: ['all'] },
  sentiment_analysis: { type: 'boolean' },
  speaker_labels: { type: 'boolean' },
  speaker_options: { type: 'object' },
  speakers_expected: { type: 'integer', nullable: true },
  speech_model: { type: 'string', nullable: true, deprecated: true },
  speech_models: { type: 'array', items: 'string' },
  speech_threshold: { type: 'number', nullable: true, min: 0, max: 1 },
  speech_understanding: { type: 'object' },
  summarization: { type: 'boolean', deprecated: true },
  summary_model: { type: 'string', enum: ['informative', 'conversational', 'catchy'], deprecated: true },
  summary_type: { type: 'string', enum: ['bullets', 'bullets_verbose', 'gist', 'headline', 'paragraph'], deprecated: true },
  temperature: { type: 'number', min: 0, max: 1 },
  topics: { type: 'array', deprecated: true, items: 'string' },
  webhook_auth_header_name: { type: 'string', nullable: true },
  webhook_auth_header_value: { type: 'string', nullable: true },
  webhook_url: { type: 'string' },
};

export const TRANSCRIPT_REQUIRED = ['audio_url', 'speech_models'];

/** Fields of older specs the current API dropped, with what replaces them. */
export const TRANSCRIPT_REMOVED: Record<string, { spec: FieldSpec; instead: string }> = {
  word_boost: { spec: { type: 'array', items: 'string' }, instead: 'keyterms_prompt (a list of words and phrases)' },
  boost_param: { spec: { type: 'string', enum: ['low', 'default', 'high'] }, instead: 'keyterms_prompt (no weight needed)' },
  dual_channel: { spec: { type: 'boolean', deprecated: true }, instead: 'multichannel: true' },
};

/** What replaces each deprecated field. */
export const DEPRECATED_INSTEAD: Record<string, string> = {
  speech_model: 'speech_models (a list, in order of preference)',
  auto_chapters: 'the LLM Gateway, with the transcript text',
  summarization: 'the LLM Gateway, with the transcript text',
  summary_model: 'the LLM Gateway, with the transcript text',
  summary_type: 'the LLM Gateway, with the transcript text',
  custom_topics: 'nothing (it has no effect)',
  topics: 'nothing (it has no effect)',
};

const LEMUR_BASE: Record<string, FieldSpec> = {
  transcript_ids: { type: 'array', items: 'string' },
  input_text: { type: 'string' },
  context: { type: 'string' },
  final_model: { type: 'string' },
  max_output_size: { type: 'integer' },
  temperature: { type: 'number', min: 0, max: 1 },
};

/** `POST /lemur/v3/generate/{task,summary,question-answer,action-items}` (spec 08e1082f; action-items from 5fdb90c9). */
export const LEMUR_FIELDS: Record<string, { fields: Record<string, FieldSpec>; required: string[] }> = {
  task: { fields: { ...LEMUR_BASE, prompt: { type: 'string' } }, required: ['prompt'] },
  summary: { fields: { ...LEMUR_BASE, answer_format: { type: 'string' } }, required: [] },
  'question-answer': { fields: { ...LEMUR_BASE, questions: { type: 'array', items: 'object' } }, required: ['questions'] },
  'action-items': { fields: { ...LEMUR_BASE, answer_format: { type: 'string' } }, required: [] },
};
