import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultMaxSpeakers, Diarizer, pcmToFloat } from '../../src/engines/diarization.js';
import { findDiarizationModels } from '../../src/engines/diarization-models.js';
import { twoVoiceMix } from '../helpers/librivox.js';

const run = promisify(execFile);
const HANDMADE = fileURLToPath(new URL('../../../shared/models/handmade/', import.meta.url));
const models = { segmentation: path.join(HANDMADE, 'segmentation-energy.onnx'), embedding: path.join(HANDMADE, 'embedding-meanstd.onnx') };

describe('Diarizer (sherpa-onnx with the handmade models)', () => {
  let dir: string;
  let samples: Float32Array;
  let diarizer: Diarizer;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-diarizer-'));
    // The reader / espeak-ng voice / reader mix of the speaker-labels tests, as raw 16 kHz s16le.
    const raw = path.join(dir, 'mix.raw');
    await run('sox', ['-R', await twoVoiceMix(dir), '-t', 'raw', '-e', 'signed', '-b', '16', '-c', '1', '-r', '16000', raw]);
    const pcm = fs.readFileSync(raw);
    // Split at odd offsets, as a decoder's chunks may be.
    samples = pcmToFloat([pcm.subarray(0, 1001), pcm.subarray(1001, 50_001), pcm.subarray(50_001)]);
    expect(samples.length).toBe(pcm.length / 2);
    expect(samples[600]).toBeCloseTo(pcm.readInt16LE(1200) / 32768, 6);
    diarizer = await Diarizer.load(models, 1);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const speakers = (turns: { speaker: number }[]) => new Set(turns.map((t) => t.speaker)).size;
  const durationMs = () => (samples.length / 16_000) * 1000;

  it('finds the two voices with a known count, the reader at both ends, times in ms', async () => {
    const turns = await diarizer.diarize(samples, { exactly: 2, min: 1, max: null }, durationMs());
    expect(speakers(turns)).toBe(2);
    const first = turns[0]!;
    const last = turns[turns.length - 1]!;
    expect(first.start).toBeLessThan(1000);
    expect(last.end).toBeGreaterThan(20_000);
    expect(last.speaker).toBe(first.speaker);
    expect(turns.some((t) => t.speaker !== first.speaker && t.start > 7000 && t.end < 16_000)).toBe(true);
  });

  it('clusters by threshold when the count is unknown, and again into the minimum when it finds fewer', async () => {
    expect(speakers(await diarizer.diarize(samples, { exactly: null, min: 1, max: null }, durationMs()))).toBe(1);
    expect(speakers(await diarizer.diarize(samples, { exactly: null, min: 2, max: null }, durationMs()))).toBe(2);
    expect(speakers(await diarizer.diarize(samples, { exactly: 1, min: 1, max: null }, durationMs()))).toBe(1);
    expect(await diarizer.diarize(new Float32Array(16_000), { exactly: null, min: 2, max: null }, 1000)).toEqual([]);
  });

  it('rejects at once when aborted, and starts no run after an abort', async () => {
    const controller = new AbortController();
    const pending = diarizer.diarize(samples, { exactly: 2, min: 1, max: null }, durationMs(), controller.signal);
    controller.abort(new Error('deleted'));
    await expect(pending).rejects.toThrow('deleted');
    await expect(diarizer.diarize(samples, { exactly: 2, min: 1, max: null }, durationMs(), controller.signal)).rejects.toThrow('deleted');
    // The instance is still usable afterwards.
    expect(speakers(await diarizer.diarize(samples, { exactly: 2, min: 1, max: null }, durationMs()))).toBe(2);
  });

  it('refuses a file that is not a model with an error, not a crash', async () => {
    const bad = path.join(dir, 'not-a-model.onnx');
    fs.writeFileSync(bad, 'garbage');
    await expect(Diarizer.load({ ...models, embedding: bad }, 1)).rejects.toThrow(/speaker embedding model .* cannot be loaded/);
  });

  it("uses upstream's default maximum: none up to 2 minutes, 10 up to 10, then 30", () => {
    expect([60_000, 120_000, 120_001, 600_000, 600_001].map(defaultMaxSpeakers)).toEqual([null, null, 10, 10, 30]);
  });
});

describe('findDiarizationModels', () => {
  it('finds catalogue names under <data-dir>/models and paths, and says how to install what is missing', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-diarization-models-'));
    try {
      const none = await findDiarizationModels({
        dataDir,
        diarizationSegmentationModel: 'pyannote-segmentation-3.0',
        diarizationEmbeddingModel: null,
      });
      expect(none).toEqual({
        missing:
          'speaker_labels needs the speaker diarization models, which are not installed on this Earshot server: ' +
          'run `earshot models pull pyannote-segmentation-3.0` and set EARSHOT_DIARIZATION_EMBEDDING_MODEL to a speaker embedding model',
      });
      const unknown = await findDiarizationModels({
        dataDir,
        diarizationSegmentationModel: '/nowhere/seg.onnx',
        diarizationEmbeddingModel: models.embedding,
      });
      expect((unknown as { missing: string }).missing).toMatch(
        /EARSHOT_DIARIZATION_SEGMENTATION_MODEL names neither a catalogue model nor an existing file$/,
      );
      expect((unknown as { missing: string }).missing).not.toContain('/nowhere'); // no server paths in an API error
      fs.mkdirSync(path.join(dataDir, 'models'));
      fs.copyFileSync(models.segmentation, path.join(dataDir, 'models', 'sherpa-onnx-pyannote-segmentation-3-0.onnx'));
      expect(
        await findDiarizationModels({
          dataDir,
          diarizationSegmentationModel: 'pyannote-segmentation-3.0',
          diarizationEmbeddingModel: models.embedding,
        }),
      ).toEqual({
        segmentation: path.join(dataDir, 'models', 'sherpa-onnx-pyannote-segmentation-3-0.onnx'),
        embedding: models.embedding,
      });
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
