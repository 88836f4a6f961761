import { describe, expect, it } from 'vitest';
import type { EngineChoice } from '../../src/engines/choice.js';
import { resolveSpeechModel, UPSTREAM_SPEECH_MODELS, whisperModelName } from '../../src/engines/models.js';

const pocketsphinx: EngineChoice = { name: 'pocketsphinx', model: 'pocketsphinx-en-us', languages: ['en_us'] };
const whisper: EngineChoice = { name: 'whisper', model: 'whisper-base.en', modelPath: '/m/ggml-base.en.bin', languages: ['en_us'] };
const ask = (speech_models: string[] | null, speech_model: string | null = null, engine = pocketsphinx) =>
  resolveSpeechModel({ speech_models, speech_model }, engine);

describe('speech_models on this server', () => {
  it("runs the server's engine for no request, for every upstream name and for its own name", () => {
    expect(ask(null)).toEqual({ model: 'pocketsphinx-en-us' });
    for (const name of UPSTREAM_SPEECH_MODELS) expect(ask([name])).toEqual({ model: 'pocketsphinx-en-us' });
    expect(ask(['pocketsphinx-en-us'])).toEqual({ model: 'pocketsphinx-en-us' });
    expect(ask(null, 'nano', whisper)).toEqual({ model: 'whisper-base.en' });
  });

  it("takes the first available name of the list, skipping this server's models that are not running", () => {
    expect(ask(['whisper-small.en', 'universal-2'])).toEqual({ model: 'pocketsphinx-en-us' });
    expect(ask(['pocketsphinx-en-us', 'best'], null, whisper)).toEqual({ model: 'whisper-base.en' });
  });

  it('refuses an unknown name, listing what is available', () => {
    const r = ask(['universal-2', 'no-such-model']);
    expect(r).toEqual({
      error:
        'Invalid speech model: no-such-model. Available models: pocketsphinx-en-us, universal-3-pro, universal-2, universal, slam-1, best, nano.',
    });
    expect(ask(null, 'no-such-model')).toHaveProperty('error', expect.stringContaining('no-such-model'));
  });

  it("refuses a list of only this server's models that are not running", () => {
    expect(ask(['whisper-small.en'])).toHaveProperty(
      'error',
      expect.stringMatching(/^None of the requested speech models is available.*whisper-small\.en.*pocketsphinx-en-us/),
    );
  });

  it('names a whisper model given as a path by its model name, never the path', () => {
    expect(whisperModelName('base.en')).toBe('whisper-base.en');
    expect(whisperModelName('/srv/models/ggml-small.en.bin')).toBe('whisper-small.en');
    expect(whisperModelName('./my-model.bin')).toBe('whisper-my-model');
  });
});
