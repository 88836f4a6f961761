/**
 * Validates values against component schemas of the upstream AssemblyAI OpenAPI
 * document (/work/shared/reference/assemblyai/openapi.yml, i.e. ../shared from the repo root).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

const SPEC_PATH = fileURLToPath(new URL('../../../shared/reference/assemblyai/openapi.yml', import.meta.url));
const SPEC_ID = 'https://earshot.invalid/assemblyai/openapi.yml';

let ajv: Ajv2020 | undefined;
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

function instance(): Ajv2020 {
  if (ajv) return ajv;
  const doc = parse(readFileSync(SPEC_PATH, 'utf8')) as Record<string, unknown>;
  convertNullable(doc);
  // strict off: the document carries OpenAPI keywords (example, discriminator, x-*) Ajv does not know.
  const created = new Ajv2020({ strict: false, allErrors: true });
  // ajv-formats also covers OpenAPI's int32, int64, float, double, byte, binary and password.
  addFormats(created);
  // ajv-formats' "url" refuses loopback and private hosts, which every self-hosted server URL is.
  created.addFormat('url', (value: string) => URL.canParse(value));
  created.addSchema({ ...doc, $id: SPEC_ID });
  ajv = created;
  return created;
}

function validator(name: string): ValidateFunction {
  const cached = validators.get(name);
  if (cached) return cached;
  const validate = instance().getSchema(`${SPEC_ID}#/components/schemas/${name}`);
  if (!validate) throw new Error(`openapi.yml has no components.schemas.${name}`);
  validators.set(name, validate);
  return validate;
}

/** Throws, listing every Ajv error, unless `value` conforms to `components.schemas[name]`. */
export function validateSchema(name: string, value: unknown): void {
  const validate = validator(name);
  if (validate(value)) return;
  const errors = (validate.errors ?? [])
    .map((e) => `  ${e.instancePath || '(root)'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`)
    .join('\n');
  throw new Error(`value does not match ${name}:\n${errors}`);
}
