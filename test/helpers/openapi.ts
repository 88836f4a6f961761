/**
 * Validates values against component schemas of the upstream AssemblyAI OpenAPI
 * documents (/work/shared/reference/assemblyai/*.yml, i.e. ../shared from the repo root):
 * openapi.yml by default, or another one named by `document`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ValidateFunction } from 'ajv';
import { ajv2020, type Ajv2020 } from './ajv.js';
import { parse } from 'yaml';

/** openapi.yml (current); the 2025-01 snapshot that still declares LeMUR; the LLM Gateway. */
export type SpecDocument = 'openapi.yml' | 'openapi-2025-01-full-with-lemur-and-realtime-token.yml' | 'llm-gateway.yml';

const specPath = (document: SpecDocument) => fileURLToPath(new URL(`../../../shared/reference/assemblyai/${document}`, import.meta.url));
const specId = (document: SpecDocument) => `https://earshot.invalid/assemblyai/${document}`;

const instances = new Map<SpecDocument, Ajv2020>();
const validators = new Map<string, ValidateFunction>();

/**
 * Rewrites OpenAPI 3.0 `nullable: true` into JSON Schema's `type: [..., "null"]`
 * (and lets `enum` accept null), since Ajv would otherwise ignore it. The 3.1 spec
 * already uses type arrays; older snapshots and hand-edited copies may not.
 */
function convertNullable(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(convertNullable);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const schema = node as Record<string, unknown>;
  if (schema.nullable === true) {
    if (typeof schema.type === 'string') schema.type = [schema.type, 'null'];
    else if (Array.isArray(schema.type) && !schema.type.includes('null')) schema.type = [...schema.type, 'null'];
    if (Array.isArray(schema.enum) && !schema.enum.includes(null)) schema.enum = [...schema.enum, null];
    delete schema.nullable;
  }
  Object.values(schema).forEach(convertNullable);
}

/**
 * The LeMUR schemas combine parts with `allOf`, each part closed with `additionalProperties: false`,
 * which JSON Schema reads as every part forbidding the others' properties (so no value could match).
 * The intent is one closed object: open the parts and close the combination with `unevaluatedProperties`.
 */
function closeAllOf(schemas: Record<string, Record<string, unknown>>): void {
  const open = (part: Record<string, unknown>) => {
    const { additionalProperties: _closed, ...rest } = part;
    return rest;
  };
  const original = structuredClone(schemas);
  for (const schema of Object.values(schemas)) {
    if (!Array.isArray(schema.allOf)) continue;
    let closed = false;
    schema.allOf = (schema.allOf as Record<string, unknown>[]).map((part) => {
      const ref = typeof part.$ref === 'string' ? original[part.$ref.split('/').pop()!] : undefined;
      const target = ref ?? part;
      if (target.additionalProperties !== false) return part;
      closed = true;
      return open(target);
    });
    if (closed) schema.unevaluatedProperties = false;
  }
}

function instance(document: SpecDocument): Ajv2020 {
  const existing = instances.get(document);
  if (existing) return existing;
  const doc = parse(readFileSync(specPath(document), 'utf8')) as Record<string, unknown>;
  convertNullable(doc);
  closeAllOf((doc.components as { schemas: Record<string, Record<string, unknown>> }).schemas);
  // strict off: the document carries OpenAPI keywords (example, discriminator, x-*) Ajv does not know.
  // ajv-formats also covers OpenAPI's int32, int64, float, double, byte, binary and password.
  const created = ajv2020({ strict: false, allErrors: true });
  // ajv-formats' "url" refuses loopback and private hosts, which every self-hosted server URL is.
  created.addFormat('url', (value: string) => URL.canParse(value));
  created.addSchema({ ...doc, $id: specId(document) });
  instances.set(document, created);
  return created;
}

function validator(name: string, document: SpecDocument): ValidateFunction {
  const key = `${document}#${name}`;
  const cached = validators.get(key);
  if (cached) return cached;
  const validate = instance(document).getSchema(`${specId(document)}#/components/schemas/${name}`);
  if (!validate) throw new Error(`${document} has no components.schemas.${name}`);
  validators.set(key, validate);
  return validate;
}

/** Throws, listing every Ajv error, unless `value` conforms to `components.schemas[name]` of `document`. */
export function validateSchema(name: string, value: unknown, document: SpecDocument = 'openapi.yml'): void {
  const validate = validator(name, document);
  if (validate(value)) return;
  const errors = (validate.errors ?? [])
    .map((e) => `  ${e.instancePath || '(root)'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`)
    .join('\n');
  throw new Error(`value does not match ${name} (${document}):\n${errors}`);
}
