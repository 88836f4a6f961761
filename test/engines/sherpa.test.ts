import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createSherpaOfflineEngine,
  createSherpaStreamingEngine,
  segmentBounds,
  spreadWords,
  tokensToWords,
} from '../../src/engines/sherpa.js';
import { detectSherpaModel, modelConfig, resolveSherpaModel, type SherpaFamily } from '../../src/engines/sherpa-models.js';

const HANDMADE = new URL('../../../shared/models/handmade/', import.meta.url).pathname;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-sherpa-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** A release directory with these (empty) files: enough for detection, which reads names only. */
function release(name: string, files: string[]): string {
  const dir = path.join(scratch, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of files) fs.writeFileSync(path.join(dir, f), '');
  return dir;
}
const noSingleFile = async (): Promise<SherpaFamily> => {
  throw new Error('not a single-file model');
};

describe('tokensToWords', () => {
  it('joins word pieces, times words from their tokens and scores them from token log-probabilities', () => {
    const words = tokensToWords(
      {
        text: 'hello world',
        tokens: [' hel', 'lo', ' world'],
        timestamps: [0.5, 0.62, 1.0],
        durations: [0.08, 0.2, 0.3],
        ys_log_probs: [Math.log(0.9), Math.log(0.4), Math.log(0.8)],
      },
      2,
      () => 0.123,
    );
    expect(words.map((w) => w.text)).toEqual(['hello', 'world']);
    expect(words[0]).toMatchObject({ start: 2500, end: 2820 });
    expect(words[1]).toMatchObject({ start: 3000, end: 3300 });
    expect(words[0]!.confidence).toBeCloseTo(Math.sqrt(0.9 * 0.4), 6);
    expect(words[1]!.confidence).toBeCloseTo(0.8, 6);
  });

  it('reads streaming ys_probs as log-probabilities or as probabilities, whichever they are', () => {
    const asLogs = tokensToWords({ text: 'a', tokens: [' a'], timestamps: [0], ys_probs: [Math.log(0.25)] }, 0, () => 0);
    const asProbs = tokensToWords({ text: 'a', tokens: [' a'], timestamps: [0], ys_probs: [0.25] }, 0, () => 0);
    expect(asLogs[0]!.confidence).toBeCloseTo(0.25, 6);
    expect(asProbs[0]!.confidence).toBeCloseTo(0.25, 6);
  });

  it('uses the fallback where the model gives no probabilities, and never runs a word past the next', () => {
    const words = tokensToWords({ text: 'a b', tokens: [' a', ' b'], timestamps: [0, 0.01] }, 0, (text) => (text === 'a' ? 0.3 : 0.7));
    expect(words).toEqual([
      { text: 'a', start: 0, end: 10, confidence: 0.3 },
      { text: 'b', start: 10, end: 50, confidence: 0.7 },
    ]);
  });
});

describe('sherpa-onnx model detection', () => {
  it('reads the handmade T-one model as a streaming T-one CTC model, from its graph inputs', async () => {
    const model = await resolveSherpaModel(scratch, `${HANDMADE}streaming-energy-ctc.onnx`, true);
    expect(model).toMatchObject({
      family: 'online-tone-ctc',
      name: 'sherpa-streaming-energy-ctc',
      files: { tokens: `${HANDMADE}streaming-energy-ctc-tokens.txt` },
    });
    expect(await resolveSherpaModel(scratch, `${HANDMADE}streaming-energy-ctc.onnx`, false)).toBeNull();
    expect(await resolveSherpaModel(scratch, path.join(scratch, 'missing.onnx'), true)).toBeNull();
  });

  it('tells release archives apart by their file names, preferring int8 files as the examples do', async () => {
    const parakeet = release('sherpa-onnx-nemo-parakeet-tdt-0.6b-v2-int8', [
      'encoder.int8.onnx',
      'decoder.int8.onnx',
      'joiner.int8.onnx',
      'tokens.txt',
    ]);
    const p = await detectSherpaModel(parakeet, false, 'x', noSingleFile);
    expect(p).toMatchObject({
      family: 'offline-nemo-transducer',
      modelType: 'nemo_transducer',
      files: { encoder: `${parakeet}/encoder.int8.onnx` },
    });
    expect(modelConfig(p!, 2)).toMatchObject({
      transducer: { joiner: `${parakeet}/joiner.int8.onnx` },
      modelType: 'nemo_transducer',
      numThreads: 2,
      provider: 'cpu',
    });

    const zip = release('sherpa-onnx-streaming-zipformer-en-2023-06-26', [
      'encoder-epoch-99-avg-1-chunk-16-left-128.onnx',
      'encoder-epoch-99-avg-1-chunk-16-left-128.int8.onnx',
      'decoder-epoch-99-avg-1-chunk-16-left-128.onnx',
      'joiner-epoch-99-avg-1-chunk-16-left-128.onnx',
      'tokens.txt',
    ]);
    expect(await detectSherpaModel(zip, true, 'x', noSingleFile)).toMatchObject({
      family: 'online-transducer',
      languages: expect.arrayContaining(['en_us']),
      files: { encoder: `${zip}/encoder-epoch-99-avg-1-chunk-16-left-128.int8.onnx` },
    });

    const moon = release('sherpa-onnx-moonshine-tiny-en-int8', [
      'preprocess.onnx',
      'encode.int8.onnx',
      'uncached_decode.int8.onnx',
      'cached_decode.int8.onnx',
      'tokens.txt',
    ]);
    const m = await detectSherpaModel(moon, false, 'x', noSingleFile);
    expect(modelConfig(m!, 1)).toMatchObject({
      moonshine: { preprocessor: `${moon}/preprocess.onnx`, cachedDecoder: `${moon}/cached_decode.int8.onnx` },
    });

    const whisper = release('sherpa-onnx-whisper-tiny', [
      'tiny-encoder.int8.onnx',
      'tiny-decoder.int8.onnx',
      'tiny-encoder.onnx',
      'tiny-decoder.onnx',
      'tiny-tokens.txt',
    ]);
    const w = await detectSherpaModel(whisper, false, 'x', noSingleFile);
    expect(w).toMatchObject({ family: 'offline-whisper', languages: 'all' });
    expect(modelConfig(w!, 1, 'fr')).toMatchObject({
      whisper: { encoder: `${whisper}/tiny-encoder.int8.onnx`, language: 'fr', task: 'transcribe' },
      tokens: `${whisper}/tiny-tokens.txt`,
    });
    expect(await detectSherpaModel(release('empty', []), false, 'x', noSingleFile)).toBeNull();
  });
});

describe('offline decoding helpers', () => {
  it('cuts long audio into pieces of at most 30 s, each at the quietest place of its last 5 s', () => {
    // 70 s of loud frames with one quiet 10 ms frame at 27.3 s and another at 55 s.
    const db = new Float32Array(7000).fill(-10);
    db[2730] = -50;
    db[5500] = -50;
    expect(segmentBounds(db, 7000 * 160)).toEqual([
      [0, 2730 * 160],
      [2730 * 160, 5500 * 160],
      [5500 * 160, 7000 * 160],
    ]);
    expect(segmentBounds(new Float32Array(100), 100 * 160)).toEqual([[0, 16_000]]);
  });

  it('spreads untimed words by their length', () => {
    expect(spreadWords('a bbb', 1000, 1400)).toEqual([
      { text: 'a', start: 1000, end: 1100 },
      { text: 'bbb', start: 1100, end: 1400 },
    ]);
  });
});

/** 16 kHz s16le: silence, or a 300 Hz tone loud enough for the handmade T-one model. */
function tones(parts: [ms: number, loud: boolean][]): Buffer {
  return Buffer.concat(
    parts.map(([ms, loud]) => {
      const b = Buffer.alloc(ms * 32);
      if (loud) for (let i = 0; i < ms * 16; i++) b.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 300 * i) / 16_000)), i * 2);
      return b;
    }),
  );
}

describe('sherpa-onnx streaming engine (handmade T-one model)', () => {
  it('scores a CTC word by its stability: 0.5 when first heard, higher once later hypotheses keep it', async () => {
    const model = (await resolveSherpaModel(scratch, `${HANDMADE}streaming-energy-ctc.onnx`, true))!;
    const engine = createSherpaStreamingEngine({ model, threads: 1 });
    const d = engine.createStream();
    const audio = tones([
      [300, false],
      [900, true],
      [1500, false],
    ]);
    const seen: number[] = [];
    for (let i = 0; i < audio.length; i += 3200) {
      const { words } = d.accept(audio.subarray(i, i + 3200));
      if (words.length) seen.push(words[0]!.confidence);
    }
    expect(seen[0]).toBe(0.5);
    expect(seen[seen.length - 1]).toBeGreaterThan(0.9);
    expect(d.endUtterance().map((w) => w.text)).toEqual(['speech']);
    d.close();
    await engine.close();
  });

  it('transcribes a whole file through the streaming model, one utterance per endpoint', async () => {
    const model = (await resolveSherpaModel(scratch, `${HANDMADE}streaming-energy-ctc.onnx`, true))!;
    const engine = createSherpaStreamingEngine({ model, threads: 1 });
    const audio = tones([
      [300, false],
      [900, true],
      [6000, false],
      [900, true],
      [600, false],
    ]);
    // Odd-sized chunks: a sample split across two of them must not shift the rest.
    async function* chunks() {
      for (let i = 0; i < audio.length; i += 4001) yield audio.subarray(i, i + 4001);
    }
    const result = await engine.transcribe(chunks());
    expect(result.words.map((w) => w.text)).toEqual(['speech', 'speech']);
    expect(result.words[1]!.start).toBeGreaterThan(result.words[0]!.start);
    await engine.close();
  });
});

describe('sherpa-onnx offline engine on a NeMo TDT transducer (weight-free stand-in)', () => {
  it('times words from token timestamps and durations and scores them from the token log-probabilities', async () => {
    // The directory says NeMo, as Parakeet's release archive does: the family and modelType follow from it.
    const dir = path.join(scratch, 'sherpa-onnx-nemo-tdt-standin');
    fs.mkdirSync(dir);
    // Fails loudly without Debian's python3-onnx (apt-get install python3-onnx).
    execFileSync('/usr/bin/python3', [new URL('../helpers/make_nemo_tdt_standin.py', import.meta.url).pathname], {
      env: { ...process.env, OUT: dir },
    });
    const model = (await resolveSherpaModel(scratch, dir, false))!;
    expect(model).toMatchObject({ family: 'offline-nemo-transducer', modelType: 'nemo_transducer', name: 'sherpa-nemo-tdt-standin' });
    const engine = await createSherpaOfflineEngine({ model, threads: 1 });
    // A loud tone at 0.5 s, a quiet one at 2.2 s: 16-bit amplitudes 0.3 and 0.02 of full scale.
    const pcm = Buffer.concat(
      (
        [
          [500, 0],
          [1000, 0.3],
          [700, 0],
          [400, 0.02],
          [500, 0],
        ] as const
      ).map(([ms, amp]) => {
        const b = Buffer.alloc(ms * 32);
        for (let i = 0; i < ms * 16; i++) b.writeInt16LE(Math.round(32767 * amp * Math.sin((2 * Math.PI * 300 * i) / 16_000)), i * 2);
        return b;
      }),
    );
    async function* once() {
      yield pcm;
    }
    const { words, punctuated } = await engine.transcribe(once());
    expect(words.map((w) => w.text)).toEqual(['speech', 'speech']);
    expect(Math.abs(words[0]!.start - 500)).toBeLessThanOrEqual(20);
    expect(Math.abs(words[1]!.start - 2200)).toBeLessThanOrEqual(20);
    // One 10 ms frame of duration each, as the joiner's duration logits choose.
    expect(words.map((w) => w.end - w.start)).toEqual([10, 10]);
    // The quiet onset was the less probable token: confidence from the model, not from the audio level alone.
    expect(words[0]!.confidence).toBeGreaterThan(0.99);
    expect(words[1]!.confidence).toBeGreaterThan(0.3);
    expect(words[1]!.confidence).toBeLessThan(0.8);
    expect(punctuated).toBe(true);
    await engine.close();
  });
});
