/**
 * The request bodies the pasted-request check validates, as compact field tables that agree with
 * AssemblyAI's OpenAPI documents (test/doctor/request/schema.test.ts proves it): `TranscriptParams`
 * at the spec's HEAD and the fields it dropped, built from the fields Earshot reads
 * (src/transcript/params.ts) and where upstream differs; LeMUR's params from the last spec that had them.
 */
import { type Field, type Kind, PARAM_FIELDS } from '../../transcript/params.js';
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

/** Earshot's kinds of field as OpenAPI types. */
const TYPE_OF: Record<Kind, Pick<FieldSpec, 'type' | 'items'>> = {
  boolean: { type: 'boolean' },
  integer: { type: 'integer' },
  number: { type: 'number' },
  string: { type: 'string' },
  object: { type: 'object' },
  array: { type: 'array' },
  'string[]': { type: 'array', items: 'string' },
  custom_spelling: { type: 'array', items: 'object' },
};

/** Fields upstream's spec does not let be null, which Earshot reads as unset. */
const NULL_ONLY_HERE = ['speech_models', 'custom_spelling', 'speaker_options', 'webhook_url'];
/** Fields upstream leaves unbounded, which Earshot bounds (a 32-bit millisecond count, at least one speaker). */
const RANGE_ONLY_HERE = ['audio_start_from', 'audio_end_at', 'speakers_expected'];
const ITEM_ENUMS: Record<string, readonly string[]> = { language_codes: LANGUAGE_CODES, redact_pii_policies: PII_POLICIES };

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

/** Fields of older specs the current API dropped (Earshot still reads them), with what replaces them. */
const REMOVED_INSTEAD: Record<string, string> = {
  word_boost: 'keyterms_prompt (a list of words and phrases)',
  boost_param: 'keyterms_prompt (no weight needed)',
  dual_channel: 'multichannel: true',
};

/** A field of params.ts as upstream's spec has it. */
function upstreamSpec(name: string, { kind, nullable, min, max, oneOf }: Field, deprecated: boolean): FieldSpec {
  const own = RANGE_ONLY_HERE.includes(name);
  return {
    ...TYPE_OF[kind],
    ...(nullable && !NULL_ONLY_HERE.includes(name) && { nullable }),
    ...(oneOf && { enum: [...oneOf] }),
    ...(min !== undefined && !own && { min }),
    ...(max !== undefined && !own && { max }),
    ...(deprecated && { deprecated }),
    ...(ITEM_ENUMS[name] && { itemEnum: ITEM_ENUMS[name] }),
  };
}

/** `POST /v2/transcript` (TranscriptParams at HEAD; `audio_url` and `speech_models` are required there), by name as suggestions rank ties. */
export const TRANSCRIPT_FIELDS: Record<string, FieldSpec> = Object.fromEntries(
  Object.entries(PARAM_FIELDS)
    .filter(([name]) => !(name in REMOVED_INSTEAD))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, field]) => [name, upstreamSpec(name, field, name in DEPRECATED_INSTEAD)]),
);

export const TRANSCRIPT_REQUIRED = ['audio_url', 'speech_models'];

/** The dropped fields as the older spec typed them (dual_channel was deprecated there already). */
export const TRANSCRIPT_REMOVED: Record<string, { spec: FieldSpec; instead: string }> = Object.fromEntries(
  Object.entries(REMOVED_INSTEAD).map(([name, instead]) => [
    name,
    { spec: upstreamSpec(name, PARAM_FIELDS[name]!, name === 'dual_channel'), instead },
  ]),
);

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
