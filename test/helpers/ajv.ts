/** JSON Schema validators for the tests: Ajv with ajv-formats, for draft 2020-12 (OpenAPI 3.1, AsyncAPI) or draft-07. */
import { Ajv, type Options } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';

// ajv-formats is CommonJS whose module.exports is the plugin; under NodeNext its types describe it as `.default`.
const addFormats = formats as unknown as typeof formats.default;

export function ajv2020(options: Options): Ajv2020 {
  const ajv = new Ajv2020(options);
  addFormats(ajv);
  return ajv;
}

export function ajv07(options: Options): Ajv {
  const ajv = new Ajv(options);
  addFormats(ajv);
  return ajv;
}

export type { Ajv2020 };
