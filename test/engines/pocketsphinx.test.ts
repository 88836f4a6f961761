import { describe, expect, it } from 'vitest';
import { decodeAudio } from '../../src/audio/decode.js';
import { createPocketsphinxEngine } from '../../src/engines/pocketsphinx.js';
import { EngineUnavailableError } from '../../src/engines/engine.js';
import { wordErrorRate } from '../../src/text/wer.js';
import { librivoxClips, pocketsphinxCli } from '../helpers/librivox.js';

describe('pocketsphinx engine', () => {
  const engine = createPocketsphinxEngine();
  const clips = librivoxClips();

  it('transcribes LibriVox clips in-process at least as well as the pocketsphinx CLI', async () => {
    expect(clips.length).toBeGreaterThanOrEqual(5);
    let refWords = 0;
    let ourErrors = 0;
    let cliErrors = 0;
    for (const clip of clips) {
      const audio = decodeAudio(clip.wav);
      const [result] = await Promise.all([engine.transcribe(audio.pcm), audio.done]);
      const ours = result.words.map((w) => w.text).join(' ');
      const cli = await pocketsphinxCli(clip.wav);
      const n = clip.reference.split(/\s+/).length;
      refWords += n;
      ourErrors += wordErrorRate(clip.reference, ours) * n;
      cliErrors += wordErrorRate(clip.reference, cli) * n;
      for (const w of result.words) {
        expect(w.end).toBeGreaterThan(w.start);
        expect(w.confidence).toBeGreaterThanOrEqual(0);
        expect(w.confidence).toBeLessThanOrEqual(1);
      }
      // Timings are increasing through the clip.
      for (let i = 1; i < result.words.length; i++) expect(result.words[i].start).toBeGreaterThanOrEqual(result.words[i - 1].start);
    }
    const ourWer = ourErrors / refWords;
    const cliWer = cliErrors / refWords;
    console.log(`LibriVox WER: earshot engine ${(ourWer * 100).toFixed(1)}%, pocketsphinx CLI ${(cliWer * 100).toFixed(1)}%`);
    expect(ourWer).toBeLessThan(0.5); // a real recogniser, not noise
    expect(ourWer).toBeLessThanOrEqual(cliWer + 0.02);
  });

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
  });

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
