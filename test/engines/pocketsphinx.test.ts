import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeAudio } from '../../src/audio/decode.js';
import { jfkLikeClip } from '../../bench/audio.js';
import { BATCH_ARGS, createPocketsphinxEngine } from '../../src/engines/pocketsphinx.js';
import { EngineUnavailableError, type EngineWord, type StreamingEngine } from '../../src/engines/engine.js';
import { wordErrorRate } from '../../src/text/wer.js';
import { librivoxClips, pocketsphinxCliWords } from '../helpers/librivox.js';

describe('pocketsphinx engine', () => {
  const engine = createPocketsphinxEngine();
  const clips = librivoxClips();

  async function transcribe(e: StreamingEngine, wav: string): Promise<EngineWord[]> {
    const audio = decodeAudio(wav);
    const [result] = await Promise.all([e.transcribe(audio.pcm), audio.done]);
    return result.words;
  }

  it('decodes word for word, time for time, as pocketsphinx_continuous with the same flags, after any earlier files', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-ps-'));
    const all = [await jfkLikeClip(dir), ...clips];
    expect(all.length).toBeGreaterThanOrEqual(6);
    let refWords = 0;
    let errors = 0;
    try {
      // The CLI runs in processes of its own, beside the engine.
      const clis = all.map((clip) => pocketsphinxCliWords(clip.wav, BATCH_ARGS));
      for (const p of clis) p.catch(() => undefined);
      // One engine for all: each file is decoded after all the ones before it.
      for (const [i, clip] of all.entries()) {
        const ours = await transcribe(engine, clip.wav);
        const cli = await clis[i]!;
        expect(ours.map((w) => w.text).join(' '), clip.id).toBe(cli.text);
        expect(ours.map(({ text, start, end }) => ({ text, start, end }))).toEqual(
          cli.words.map(({ text, start, end }) => ({ text, start, end })),
        );
        for (const [i, w] of ours.entries()) expect(w.confidence).toBeCloseTo(cli.words[i]!.confidence, 5);
        const n = clip.reference.split(' ').length;
        refWords += n;
        errors += wordErrorRate(clip.reference, cli.text) * n;
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(errors / refWords).toBeLessThan(0.5); // a real recogniser, not noise
  }, 300_000);

  it('gives identical words, times and confidences for the same file, one after another and concurrently', async () => {
    const wav = clips[1]!.wav;
    const first = await transcribe(engine, wav);
    expect(first.length).toBeGreaterThan(3);
    for (let i = 0; i < 2; i++) expect(await transcribe(engine, wav)).toEqual(first);
    const others = [createPocketsphinxEngine(), createPocketsphinxEngine()];
    try {
      const together = await Promise.all([engine, ...others].map((e) => transcribe(e, wav)));
      for (const words of together) expect(words).toEqual(first);
    } finally {
      await Promise.all(others.map((e) => e.close()));
    }
  }, 300_000);

  it('gives partial hypotheses while audio streams in, then final words', async () => {
    const stream = engine.createStream();
    const audio = decodeAudio(clips[0].wav);
    const heard = new Set<string>();
    let partials = 0;
    for await (const chunk of audio.pcm) {
      for (let i = 0; i < chunk.length; i += 3200) {
        const { words } = stream.accept(chunk.subarray(i, i + 3200));
        if (words.length) partials++;
        for (const w of words) heard.add(w.text);
      }
    }
    for (const w of stream.endUtterance()) heard.add(w.text);
    stream.close();
    expect(partials).toBeGreaterThan(3);
    const reference = new Set(clips[0].reference.split(' '));
    expect([...heard].filter((w) => reference.has(w)).length).toBeGreaterThan(3);
  });

  it('keeps streaming word times on the audio clock across pauses', async () => {
    const stream = engine.createStream();
    let fedMs = 0;
    let lastEnd = 0;
    for (const clip of clips.slice(0, 2)) {
      const audio = decodeAudio(clip.wav);
      for await (const chunk of audio.pcm) {
        for (let i = 0; i < chunk.length; i += 3200) {
          const part = chunk.subarray(i, i + 3200);
          fedMs += part.length / 32;
          const { words } = stream.accept(part);
          for (const w of words) expect(w.end).toBeLessThanOrEqual(fedMs + 10);
          lastEnd = words.at(-1)?.end ?? lastEnd;
        }
      }
    }
    const finals = stream.endUtterance();
    stream.close();
    expect(finals.length).toBeGreaterThan(10);
    expect(finals.at(-1)!.end).toBeLessThanOrEqual(fedMs + 10);
    expect(lastEnd).toBeGreaterThan(fedMs / 2);
  });

  it('counts word times from the start of each file, however many files the decoder has seen', async () => {
    for (let run = 0; run < 3; run++) {
      const audio = decodeAudio(clips[1].wav);
      const [result, { durationMs }] = await Promise.all([engine.transcribe(audio.pcm), audio.done]);
      expect(result.words[0].start).toBeLessThan(1000);
      expect(result.words[result.words.length - 1].end).toBeLessThanOrEqual(durationMs + 10);
    }
  }, 180_000);

  it('reports a clear error when the model is missing', () => {
    expect(() => createPocketsphinxEngine({ modelDir: '/nonexistent' })).toThrow(EngineUnavailableError);
  });

  it('returns no words for silence', async () => {
    async function* silence() {
      yield Buffer.alloc(16000 * 2 * 2);
    }
    const result = await engine.transcribe(silence());
    expect(result.words).toEqual([]);
  });
});
