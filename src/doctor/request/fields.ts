/**
 * A JSON body's fields against the field tables (schema.ts): wrong types, values outside an enum
 * or range, deprecated and removed fields, and misspelt names with the field they most likely meant.
 */
import { findingsFor, type Finding } from '../finding.js';
import { DEPRECATED_INSTEAD, type FieldSpec } from './schema.js';

const f = findingsFor('request');

export function levenshtein(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length]!;
}

const SYNONYMS: Record<string, string> = {
  url: 'audio_url',
  audio: 'audio_url',
  file: 'audio_url',
  file_url: 'audio_url',
  audio_file: 'audio_url',
  media_url: 'audio_url',
  source_url: 'audio_url',
  diarization: 'speaker_labels',
  speaker_diarization: 'speaker_labels',
  diarize: 'speaker_labels',
  speakers: 'speakers_expected',
  language: 'language_code',
  lang: 'language_code',
  webhook: 'webhook_url',
  callback_url: 'webhook_url',
  callback: 'webhook_url',
  model: 'speech_models',
  models: 'speech_models',
  keywords: 'keyterms_prompt',
  keyterms: 'keyterms_prompt',
  vocabulary: 'keyterms_prompt',
  transcript_id: 'transcript_ids',
  id: 'transcript_ids',
  ids: 'transcript_ids',
  text: 'input_text',
  question: 'questions',
};

/** The field a misspelt one most likely meant. */
export function suggestField(name: string, known: readonly string[]): string | null {
  const snake = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[-\s]/g, '_')
    .toLowerCase();
  if (snake !== name && known.includes(snake)) return snake;
  const syn = SYNONYMS[snake];
  if (syn && known.includes(syn)) return syn;
  let best: string | null = null;
  let bestD = Infinity;
  for (const k of known) {
    const d = levenshtein(snake, k);
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best !== null && bestD <= Math.max(2, Math.floor(snake.length / 4)) ? best : null;
}

const ARTICLE: Record<FieldSpec['type'], string> = {
  boolean: 'a boolean (true/false, no quotes)',
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  array: 'a list',
  object: 'an object',
};

function typeOf(v: unknown): string {
  return v === null
    ? 'null'
    : Array.isArray(v)
      ? 'list'
      : typeof v === 'string'
        ? `string "${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`
        : `${typeof v} ${JSON.stringify(v)}`;
}

function typeOk(t: FieldSpec['type'], v: unknown): boolean {
  switch (t) {
    case 'boolean':
      return typeof v === 'boolean';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'string':
      return typeof v === 'string';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
  }
}

/** One field against its spec: type, enum, range, list items. */
function checkField(name: string, spec: FieldSpec, v: unknown): Finding | null {
  const evidence = { field: name, value: v };
  if (v === null)
    return spec.nullable
      ? null
      : f.fail('wrong_type', `${name} is null; it must be ${ARTICLE[spec.type]}.`, `Leave ${name} out instead of sending null.`, evidence);
  if (!typeOk(spec.type, v)) {
    const hint =
      spec.type === 'boolean' && typeof v === 'string' && /^(true|false)$/i.test(v)
        ? ` Write ${v.toLowerCase()} without quotes.`
        : (spec.type === 'integer' || spec.type === 'number') && typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))
          ? ` Write ${v} without quotes.`
          : spec.type === 'array' && typeof v === 'string'
            ? ` Wrap it in a list: ["${v}"].`
            : '';
    return f.fail(
      'wrong_type',
      `${name} is ${typeOf(v)}; it must be ${ARTICLE[spec.type]}.`,
      `Send ${name} as ${ARTICLE[spec.type]}.${hint}`,
      evidence,
    );
  }
  if (spec.enum && typeof v === 'string' && !spec.enum.includes(v)) {
    const near = suggestField(v, spec.enum);
    return f.fail(
      'bad_value',
      `${name} is "${v}"; allowed: ${spec.enum.join(', ')}.`,
      near ? `Did you mean "${near}"?` : `Use one of: ${spec.enum.join(', ')}.`,
      evidence,
    );
  }
  if (typeof v === 'number' && ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max))) {
    return f.fail(
      'out_of_range',
      `${name} is ${v}; it must be between ${spec.min ?? '-∞'} and ${spec.max ?? '∞'}.`,
      `Use a value from ${spec.min ?? '-∞'} to ${spec.max ?? '∞'}.`,
      evidence,
    );
  }
  if (Array.isArray(v) && spec.items) {
    const bad = v.find((x) => !typeOk(spec.items!, x));
    if (bad !== undefined)
      return f.fail(
        'wrong_type',
        `${name} has an item that is ${typeOf(bad)}; items must be ${ARTICLE[spec.items]}.`,
        `Make every item of ${name} ${ARTICLE[spec.items]}.`,
        evidence,
      );
    if (spec.itemEnum) {
      const unknown = v.find((x) => typeof x === 'string' && !spec.itemEnum!.includes(x)) as string | undefined;
      if (unknown !== undefined) {
        const near = suggestField(unknown, spec.itemEnum);
        return f.fail(
          'bad_value',
          `${name} contains "${unknown}", which is not an allowed value.`,
          near ? `Did you mean "${near}"?` : `See the API reference for ${name}.`,
          evidence,
        );
      }
    }
  }
  return null;
}

/** A request body's field table: its fields, which are required, and names it takes in silence or reports as removed. */
export interface FieldTable {
  fields: Record<string, FieldSpec>;
  required: readonly string[];
  removed?: Record<string, { instead: string }>;
  alsoKnown?: readonly string[];
}

/** Each field of a JSON body against its table: type, value, deprecation, misspelling; then the required ones. */
export function checkJsonFields(body: Record<string, unknown>, { fields, required, removed = {}, alsoKnown = [] }: FieldTable): Finding[] {
  const out: Finding[] = [];
  const known = [...Object.keys(fields), ...alsoKnown];
  for (const [name, v] of Object.entries(body)) {
    const spec = fields[name];
    if (spec) {
      const bad = checkField(name, spec, v);
      if (bad) out.push(bad);
      if (spec.deprecated && DEPRECATED_INSTEAD[name])
        out.push(f.warn('deprecated_field', `${name} is deprecated.`, `Use ${DEPRECATED_INSTEAD[name]}.`, { field: name }));
      continue;
    }
    const gone = removed[name];
    if (gone) {
      out.push(
        f.warn('removed_field', `${name} is gone from the current API (older SDKs still send it).`, `Use ${gone.instead}.`, {
          field: name,
        }),
      );
      continue;
    }
    if (alsoKnown.includes(name)) continue;
    const near = suggestField(name, known);
    out.push(
      near
        ? f.fail(
            'unknown_field',
            `"${name}" is not a field of this request; it is ignored, so the option silently does nothing.`,
            `Did you mean "${near}"?`,
            { field: name, suggestion: near },
          )
        : f.warn(
            'unknown_field',
            `"${name}" is not a field of this request; it is ignored.`,
            'Check the field name against the API reference.',
            { field: name },
          ),
    );
  }
  for (const name of required) {
    if (body[name] === undefined && !out.some((x) => x.evidence?.suggestion === name)) {
      out.push(f.fail('missing_field', `The required field ${name} is missing.`, `Add "${name}".`, { field: name }));
    }
  }
  return out;
}
