import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engines/engine.js';
import { createWhisperEngine, segmentsToWords, whisperLanguage } from '../../src/engines/whisper.js';

// A tiny.en-shaped model with random weights: it proves loading and plumbing, not recognition.
const TEST_MODEL = fileURLToPath(new URL('../../../shared/models/whisper-test/for-tests-ggml-tiny.en.bin', import.meta.url));
const MULTI_MODEL = fileURLToPath(new URL('../../../shared/models/whisper-test/for-tests-ggml-tiny.bin', import.meta.url));

/** 1 s of a 440 Hz tone then 1 s of silence, as 16 kHz s16le, in uneven chunks (one splits a sample). */
async function* twoSeconds(): AsyncGenerator<Buffer> {
  const pcm = Buffer.alloc(32_000 * 2);
  for (let i = 0; i < 16_000; i++) pcm.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 16_000)), i * 2);
  for (let off = 0; off < pcm.length; off += 4_095) yield pcm.subarray(off, off + 4_095);
}

describe('whisper engine', () => {
  let engine: Engine;

  beforeAll(async () => {
    engine = await createWhisperEngine({ modelPath: TEST_MODEL, model: 'whisper-test', threads: 2 });
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('transcribes PCM into an EngineResult (the random test weights hear no words: their shaping is tested on segments below)', async () => {
    let progress = 0;
    const result = await engine.transcribe(twoSeconds(), { languageCode: 'en_us', onProgress: (ms) => (progress = ms) });
    expect(engine.name).toBe('whisper');
    expect(engine.model).toBe('whisper-test');
    expect(result.punctuated).toBe(true);
    expect(result.language_code).toBe('en_us');
    expect(result.words).toEqual([]);
    expect(progress).toBe(2_000);
  });

  it('returns no words for empty audio', async () => {
    const result = await engine.transcribe((async function* () {})());
    expect(result.words).toEqual([]);
  });

  it('refuses other languages on an English-only model', async () => {
    await expect(engine.transcribe(twoSeconds(), { languageCode: 'fr' })).rejects.toThrow(/English-only/);
  });

  it('honours an abort signal', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(engine.transcribe(twoSeconds(), { signal: controller.signal })).rejects.toThrow(/abort/i);
  });

  it('detects the language on a multilingual model when none is given', async () => {
    const multi = await createWhisperEngine({ modelPath: MULTI_MODEL, model: 'whisper-test-multi', threads: 2 });
    try {
      const result = await multi.transcribe(twoSeconds());
      // Random weights detect some language; what matters is that a whisper code comes back.
      expect(result.language_code).toMatch(/^[a-z]{2,3}$/);
    } finally {
      await multi.close();
    }
  });

  it('gives a clear error for a missing model file', async () => {
    await expect(createWhisperEngine({ modelPath: '/nonexistent/ggml-base.en.bin', model: 'x', threads: 1 })).rejects.toThrow(
      /whisper model file not found: \/nonexistent\/ggml-base\.en\.bin.*earshot models pull/,
    );
  });

  it('gives a clear error for a file that is not a whisper model', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'earshot-whisper-'));
    try {
      await writeFile(join(dir, 'bad.bin'), 'definitely not ggml');
      await expect(createWhisperEngine({ modelPath: join(dir, 'bad.bin'), model: 'x', threads: 1 })).rejects.toThrow(
        /could not load the model .*bad\.bin/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('whisperLanguage', () => {
  it('maps AssemblyAI codes to whisper languages', () => {
    expect(whisperLanguage('en_us', true)).toBe('en');
    expect(whisperLanguage('en_uk', false)).toBe('en');
    expect(whisperLanguage('fr', false)).toBe('fr');
    expect(whisperLanguage('jv', false)).toBe('jw');
    expect(whisperLanguage(null, true)).toBe('en');
    expect(whisperLanguage(null, false)).toBe('auto');
    expect(() => whisperLanguage('de', true)).toThrow(/English-only/);
    expect(() => whisperLanguage('xx', false, () => false)).toThrow(/does not support language_code "xx"/);
  });
});

describe('segmentsToWords', () => {
  it('turns centisecond word segments into ms words and drops non-speech annotations', () => {
    // Confidence comes from the audio (acoustic.ts): here, a stand-in that shows which span it was asked about.
    const words = segmentsToWords(
      [
        { text: ' Hello,', start: 0, end: 42 },
        { text: '[BLANK_AUDIO]', start: 42, end: 100 },
        { text: ' (upbeat', start: 100, end: 120 },
        { text: ' music)', start: 120, end: 150 },
        { text: ' world.', start: 150, end: 149 },
        { text: ' ', start: 160, end: 170 },
      ],
      (start, end) => (end - start) / 1000,
    );
    expect(words).toEqual([
      { text: 'Hello,', start: 0, end: 420, confidence: 0.42 },
      { text: 'world.', start: 1500, end: 1500, confidence: 0 },
    ]);
  });

  it('keeps a long parenthetical: it is speech, not an annotation', () => {
    const texts = ['(and', 'this', 'goes', 'on', 'for', 'a', 'while', 'here)'];
    const words = segmentsToWords(
      texts.map((text, i) => ({ text, start: i * 10, end: i * 10 + 10 })),
      () => 1,
    );
    expect(words.map((w) => w.text)).toEqual(texts);
  });
});
