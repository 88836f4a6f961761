import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ApiError } from '../../src/http/errors.js';
import { Llm, UPSTREAM_LEMUR_MODELS } from '../../src/lemur/service.js';
import { createLogger } from '../../src/log.js';
import { catalogueEntry } from '../../src/models/catalogue.js';
import { modelsDir } from '../../src/models/store.js';
import { TINY_MODEL } from '../helpers/llm.js';

const log = createLogger('silent');
let dataDir: string;
const config = (env: Record<string, string>) =>
  loadConfig({}, { EARSHOT_DATA_DIR: dataDir, EARSHOT_LLM_THREADS: '1', EARSHOT_LLM_CONTEXT_TOKENS: '512', ...env });

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'earshot-llm-service-'));
});
afterEach(() => rm(dataDir, { recursive: true, force: true }));

function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('no error');
}

describe('choosing the LLM', () => {
  it('has none when the default model is not installed, and says how to set one up', async () => {
    const llm = await Llm.fromConfig(config({}), log);
    const err = apiError(() => llm.require());
    expect(err.statusCode).toBe(503);
    expect(err.message).toMatch(
      /^No LLM is configured on this Earshot server: the model "qwen2\.5-1\.5b-instruct" \(EARSHOT_LLM_MODEL\) is not installed\. Install a model .* `earshot models pull qwen2\.5-1\.5b-instruct` .*EARSHOT_LLM_URL=http:\/\/127\.0\.0\.1:11434\/v1/,
    );
    expect(await llm.status()).toEqual({ backend: 'none', location: null, state: 'unavailable', models: [], message: err.message });
    expect(err.code).toBe('LLM_UNAVAILABLE');
  });

  it('says so when the model is neither a catalogue name nor a file, or is turned off', async () => {
    const missing = await Llm.fromConfig(config({ EARSHOT_LLM_MODEL: '/nowhere/x.gguf' }), log);
    expect(apiError(() => missing.require()).message).toMatch(
      /the model "\/nowhere\/x\.gguf" \(EARSHOT_LLM_MODEL\) is neither an installed catalogue model nor a \.gguf file\./,
    );
    const off = await Llm.fromConfig(config({ EARSHOT_LLM_MODEL: '' }), log);
    expect(apiError(() => off.require()).message).toMatch(
      /^No LLM is configured on this Earshot server \(EARSHOT_LLM_MODEL is empty and EARSHOT_LLM_URL is unset\)\./,
    );
  });

  it('loads an installed catalogue model under its catalogue name', async () => {
    await mkdir(modelsDir(dataDir), { recursive: true });
    // The tiny model under the catalogue file's name: what `earshot models pull` would have put there.
    await copyFile(TINY_MODEL, join(modelsDir(dataDir), catalogueEntry('qwen2.5-0.5b-instruct')!.fileName));
    const llm = await Llm.fromConfig(config({ EARSHOT_LLM_MODEL: 'qwen2.5-0.5b-instruct' }), log);
    try {
      expect(llm.require().kind).toBe('embedded');
      expect(await llm.resolveLemurModel(undefined)).toEqual({ name: 'qwen2.5-0.5b-instruct', contextTokens: 512 });
      expect(await llm.status()).toMatchObject({
        backend: 'embedded',
        state: 'ready',
        models: [{ name: 'qwen2.5-0.5b-instruct', contextTokens: 512 }],
      });
    } finally {
      await llm.close();
    }
  });

  it('loads a copied-in .gguf by its name, and a .gguf path by its file name', async () => {
    await mkdir(modelsDir(dataDir), { recursive: true });
    await copyFile(TINY_MODEL, join(modelsDir(dataDir), 'my-model.gguf'));
    const byName = await Llm.fromConfig(config({ EARSHOT_LLM_MODEL: 'my-model' }), log);
    const byPath = await Llm.fromConfig(config({ EARSHOT_LLM_MODEL: TINY_MODEL }), log);
    try {
      expect((await byName.resolveGatewayModel('my-model')).name).toBe('my-model');
      expect((await byPath.resolveGatewayModel('default')).name).toBe('llama-2-tiny-random');
    } finally {
      await byName.close();
      await byPath.close();
    }
  });

  it('maps upstream LeMUR model names to the default model, and lists the choices for any other', async () => {
    const llm = await Llm.fromConfig(config({ EARSHOT_LLM_MODEL: TINY_MODEL }), log);
    try {
      for (const name of UPSTREAM_LEMUR_MODELS) expect((await llm.resolveLemurModel(name)).name).toBe('llama-2-tiny-random');
      const err = (await llm.resolveLemurModel('gpt-4.1').catch((e: unknown) => e)) as ApiError;
      expect(err.statusCode).toBe(400);
      expect(err.message).toMatch(
        /^final_model "gpt-4\.1" is not available on this Earshot server\. Available: llama-2-tiny-random \(default\)\. These names also select the default model: default, basic, /,
      );
    } finally {
      await llm.close();
    }
  });

  it('answers every gateway model id with the default model unless EARSHOT_LLM_MODEL_ALIASES says otherwise', async () => {
    const remote = { EARSHOT_LLM_URL: 'http://127.0.0.1:9/v1', EARSHOT_LLM_REMOTE_MODELS: 'small,big' };
    const all = await Llm.fromConfig(config(remote), log);
    for (const id of ['claude-sonnet-4-5-20250929', 'gpt-4.1', 'gemini-2.5-flash', 'default'])
      expect((await all.resolveGatewayModel(id)).name).toBe('small');
    expect((await all.resolveGatewayModel('big')).name).toBe('big');

    const mapped = await Llm.fromConfig(
      config({ ...remote, EARSHOT_LLM_MODEL_ALIASES: 'claude-*=big, claude-3-haiku*=small, gpt-4.1=big, gemini-2.5-flash' }),
      log,
    );
    expect((await mapped.resolveGatewayModel('claude-sonnet-4-5-20250929')).name).toBe('big');
    expect((await mapped.resolveGatewayModel('claude-3-haiku-20240307')).name).toBe('small'); // the longer prefix wins
    expect((await mapped.resolveGatewayModel('gpt-4.1')).name).toBe('big');
    expect((await mapped.resolveGatewayModel('gemini-2.5-flash')).name).toBe('small');
    const refused = (await mapped.resolveGatewayModel('gpt-4.1-mini').catch((e: unknown) => e)) as ApiError;
    expect(refused.statusCode).toBe(400);
    expect(refused.message).toBe(
      'model "gpt-4.1-mini" is not available on this Earshot server. Available: small (default), big. These names also select the default model: default, claude-*, claude-3-haiku*, gpt-4.1, gemini-2.5-flash',
    );

    const broken = await Llm.fromConfig(config({ ...remote, EARSHOT_LLM_MODEL_ALIASES: 'gpt-4.1=huge' }), log);
    const err = (await broken.resolveGatewayModel('gpt-4.1').catch((e: unknown) => e)) as ApiError;
    expect(err.statusCode).toBe(503);
    expect(err.message).toBe('EARSHOT_LLM_MODEL_ALIASES maps "gpt-4.1" to "huge", which this server does not have. Available: small, big');
    expect(() => config({ EARSHOT_LLM_MODEL_ALIASES: 'a=b=c' })).toThrow(
      'Invalid EARSHOT_LLM_MODEL_ALIASES / --llm-model-aliases: expected comma-separated',
    );
    expect(() => config({ EARSHOT_LLM_MODEL_ALIASES: '*gpt=big' })).toThrow(/expected comma-separated/);
  });

  it('uses the configured names of a remote server even when it lists none', async () => {
    const llm = await Llm.fromConfig(
      config({
        EARSHOT_LLM_URL: 'http://127.0.0.1:9/v1',
        EARSHOT_LLM_REMOTE_MODELS: 'llama3.2, qwen2.5:7b',
        EARSHOT_LLM_CONTEXT_TOKENS: '0',
      }),
      log,
    );
    expect(llm.require()).toMatchObject({ kind: 'openai', location: 'http://127.0.0.1:9/v1', loading: false });
    expect(await llm.resolveLemurModel('qwen2.5:7b')).toEqual({ name: 'qwen2.5:7b', contextTokens: 100_000 });
    expect(await llm.resolveLemurModel('default')).toEqual({ name: 'llama3.2', contextTokens: 100_000 });
    const unlisted = await Llm.fromConfig(config({ EARSHOT_LLM_URL: 'http://127.0.0.1:9/v1' }), log);
    const status = await unlisted.status();
    expect(status).toMatchObject({ backend: 'openai', state: 'unavailable', models: [] });
    expect(status.message).toMatch(/^The LLM server at http:\/\/127\.0\.0\.1:9\/v1\/models could not be reached: /);
  });
});
