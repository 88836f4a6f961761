/**
 * Validates streaming messages against the message schemas of upstream's AsyncAPI documents:
 * v3 Universal Streaming (usm-streaming.yml) and v2 realtime (asyncapi.yml), from ../shared.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ValidateFunction } from 'ajv';
import { ajv2020 } from './ajv.js';
import { parse } from 'yaml';

const DOCS = {
  v3: '../../../shared/reference/assemblyai/usm-streaming.yml',
  v2: '../../../shared/reference/assemblyai/asyncapi.yml',
} as const;

/** Which schema each server message type is checked against. */
const V3_SCHEMAS: Record<string, string> = { Begin: 'SessionBeginsPayload', Turn: 'TurnPayload', Termination: 'TerminationPayload' };

/**
 * The v2 document writes `allOf: [base, {…, additionalProperties: false}]`, meaning "nothing beyond
 * the properties of all branches"; taken literally no message could match (not even its own
 * examples). JSON Schema 2020-12 says that with `unevaluatedProperties: false` on the parent.
 */
function closeAllOf(doc: Record<string, unknown>): void {
  const schemas = ((doc.components as Record<string, unknown> | undefined)?.schemas ?? {}) as Record<string, Record<string, unknown>>;
  const open = (branch: Record<string, unknown>) => {
    const ref = typeof branch.$ref === 'string' ? /^#\/components\/schemas\/(.+)$/.exec(branch.$ref)?.[1] : undefined;
    const target = ref ? schemas[ref] : branch;
    if (target?.additionalProperties !== false) return false;
    delete target.additionalProperties;
    return true;
  };
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(walk);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const schema = node as Record<string, unknown>;
    if (Array.isArray(schema.allOf)) {
      // Every branch is visited: a base may be closed as well as the extension.
      const closed = (schema.allOf as Record<string, unknown>[]).map(open).some(Boolean);
      if (closed) schema.unevaluatedProperties = false;
    }
    Object.values(schema).forEach(walk);
  };
  walk(doc);
}

const ajv = ajv2020({ strict: false, allErrors: true });
for (const [name, rel] of Object.entries(DOCS)) {
  const doc = parse(readFileSync(fileURLToPath(new URL(rel, import.meta.url)), 'utf8')) as Record<string, unknown>;
  closeAllOf(doc);
  delete doc.id; // AsyncAPI 2's document id, which Ajv would read as a draft-04 schema id
  ajv.addSchema({ ...doc, $id: `https://earshot.invalid/${name}.yml` });
}
const cache = new Map<string, ValidateFunction>();

function validator(doc: 'v2' | 'v3', schema: string): ValidateFunction {
  const ref = `https://earshot.invalid/${doc}.yml#/components/schemas/${schema}`;
  let v = cache.get(ref);
  if (!v) {
    v = ajv.getSchema(ref);
    if (!v) throw new Error(`no schema ${schema} in the ${doc} document`);
    cache.set(ref, v);
  }
  return v;
}

/** Throws unless a server message matches its upstream schema. Error frames are checked for their one field. */
export function validateStreamingMessage(protocol: 'v2' | 'v3', message: Record<string, unknown>): void {
  let schema: string;
  if (protocol === 'v3') {
    if (message.type === 'Error') {
      if (typeof message.error !== 'string') throw new Error(`v3 error without text: ${JSON.stringify(message)}`);
      return;
    }
    schema = V3_SCHEMAS[message.type as string] ?? '';
    if (!schema) throw new Error(`unknown v3 message type: ${JSON.stringify(message)}`);
  } else {
    schema = 'error' in message ? 'RealtimeError' : (message.message_type as string);
  }
  const validate = validator(protocol, schema);
  if (validate(message)) return;
  const errors = (validate.errors ?? []).map((e) => `  ${e.instancePath || '(root)'} ${e.message} ${JSON.stringify(e.params)}`).join('\n');
  throw new Error(`${protocol} message does not match ${schema}:\n${errors}\n${JSON.stringify(message).slice(0, 500)}`);
}
