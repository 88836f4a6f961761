/**
 * Derives the doctor's compact field tables (src/doctor/request/schema.ts) from the upstream
 * OpenAPI documents, so a test can prove the two agree.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { FieldSpec } from '../../../src/doctor/request/schema.js';

const REF_DIR = fileURLToPath(new URL('../../../../shared/reference/assemblyai/', import.meta.url));
type Schema = Record<string, unknown>;

export function loadSpec(file: string): Schema {
  return parse(readFileSync(REF_DIR + file, 'utf8')) as Schema;
}

function resolve(doc: Schema, s: Schema): Schema {
  let cur = s;
  while (typeof cur.$ref === 'string') {
    const name = cur.$ref.replace('#/components/schemas/', '');
    const { $ref: _ref, ...rest } = cur;
    cur = { ...((doc.components as Schema).schemas as Record<string, Schema>)[name], ...rest };
  }
  return cur;
}

function specOf(doc: Schema, raw: Schema): FieldSpec {
  let s = resolve(doc, raw);
  let nullable = false;
  for (const key of ['oneOf', 'anyOf'] as const) {
    const alts = s[key] as Schema[] | undefined;
    if (!alts) continue;
    const rest = alts.filter((a) => a.type !== 'null');
    nullable ||= rest.length < alts.length;
    // anyOf [enum, string] is an open string.
    const open = rest.some((a) => a.type === 'string' && !a.enum) || rest.some((a) => Array.isArray(a.anyOf));
    const first =
      rest.length === 1
        ? resolve(doc, rest[0]!)
        : { type: 'string', ...(open ? {} : { enum: rest.flatMap((a) => (resolve(doc, a).enum as string[]) ?? []) }) };
    s = { ...s, ...first };
    if (open) delete s.enum;
    delete s[key];
  }
  let type = s.type as string | string[] | undefined;
  if (Array.isArray(type)) {
    nullable ||= type.includes('null');
    type = type.find((t) => t !== 'null');
  }
  const out: FieldSpec = { type: (type ?? 'object') as FieldSpec['type'] };
  if (nullable) out.nullable = true;
  if (Array.isArray(s.enum)) out.enum = (s.enum as unknown[]).filter((v): v is string => typeof v === 'string');
  if (typeof s.minimum === 'number') out.min = s.minimum;
  if (typeof s.maximum === 'number') out.max = s.maximum;
  if (s.deprecated === true) out.deprecated = true;
  if (out.type === 'array' && s.items) {
    const items = resolve(doc, s.items as Schema);
    out.items = (Array.isArray(items.type) ? items.type[0] : (items.type ?? 'object')) as FieldSpec['type'];
    if (Array.isArray(items.enum)) out.itemEnum = items.enum as string[];
  }
  return out;
}

/** Properties of a components schema (allOf merged), as field specs, and its required names. */
export function fieldsOf(doc: Schema, name: string): { fields: Record<string, FieldSpec>; required: string[] } {
  const fields: Record<string, FieldSpec> = {};
  const required: string[] = [];
  const walk = (s: Schema) => {
    s = resolve(doc, s);
    for (const part of (s.allOf as Schema[] | undefined) ?? []) walk(part);
    for (const [k, v] of Object.entries((s.properties as Record<string, Schema> | undefined) ?? {})) fields[k] = specOf(doc, v);
    required.push(...((s.required as string[] | undefined) ?? []));
  };
  walk({ $ref: `#/components/schemas/${name}` });
  return { fields, required };
}
