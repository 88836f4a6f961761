import { afterEach, describe, expect, it } from 'vitest';
import { catalogue, catalogueEntry } from '../../src/models/catalogue.js';

afterEach(() => {
  delete process.env.EARSHOT_MODEL_BASE_URL;
});

describe('model catalogue', () => {
  it('has the default model with a full sha256 and its Hugging Face URL', () => {
    const e = catalogueEntry('base.en');
    expect(e).toMatchObject({ url: 'https://huggingface.co/ggerganov/whisper.cpp/resolve/main/ggml-base.en.bin', licence: 'MIT', languages: 'en' });
    for (const entry of catalogue()) {
      expect(entry.sha256 ?? entry.sha1).toBeTruthy();
      if (entry.sha256) expect(entry.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(entry.sizeBytes).toBeGreaterThan(30_000_000);
    }
  });

  it('marks English-only and multilingual models from their names', () => {
    expect(catalogueEntry('tiny.en')?.languages).toBe('en');
    expect(catalogueEntry('tiny')?.languages).toBe('multilingual');
    expect(catalogueEntry('large-v3-turbo')?.languages).toBe('multilingual');
    expect(catalogueEntry('nope')).toBeUndefined();
  });

  it('takes the base URL from EARSHOT_MODEL_BASE_URL', () => {
    process.env.EARSHOT_MODEL_BASE_URL = 'http://127.0.0.1:9/mirror/';
    expect(catalogueEntry('tiny')?.url).toBe('http://127.0.0.1:9/mirror/ggml-tiny.bin');
  });
});
