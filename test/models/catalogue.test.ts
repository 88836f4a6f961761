import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { catalogue, catalogueEntry } from '../../src/models/catalogue.js';
import { SILERO_MODEL } from '../helpers/server.js';

afterEach(() => {
  delete process.env.EARSHOT_MODEL_BASE_URL;
});

describe('model catalogue', () => {
  it('has the default model with a full sha256 and its Hugging Face URL', () => {
    const e = catalogueEntry('base.en');
    expect(e).toMatchObject({
      url: 'https://huggingface.co/ggerganov/whisper.cpp/resolve/main/ggml-base.en.bin',
      licence: 'MIT',
      languages: 'en',
    });
    for (const entry of catalogue().filter((e) => !e.unpacksTo)) {
      expect(entry.sha256).toMatch(/^[0-9a-f]{64}$/);
      if (entry.kind === 'whisper' || entry.kind === 'llm') expect(entry.sizeBytes).toBeGreaterThan(30_000_000);
    }
  });

  it('has Silero VAD at a pinned release, with the size and digest of the real file', () => {
    const e = catalogueEntry('silero-vad')!;
    expect(e).toMatchObject({
      kind: 'vad',
      fileName: 'silero_vad.onnx',
      url: 'https://github.com/snakers4/silero-vad/raw/v6.2.1/src/silero_vad/data/silero_vad.onnx',
      licence: 'MIT',
    });
    const file = fs.readFileSync(SILERO_MODEL);
    expect(e.sizeBytes).toBe(file.length);
    expect(e.sha256).toBe(createHash('sha256').update(file).digest('hex'));
  });

  it("has the diarization models at sherpa-onnx's pinned files, under their upstream names", () => {
    expect(catalogueEntry('pyannote-segmentation-3.0')).toMatchObject({
      kind: 'speaker-segmentation',
      fileName: 'sherpa-onnx-pyannote-segmentation-3-0.onnx',
      url: 'https://huggingface.co/csukuangfj/sherpa-onnx-pyannote-segmentation-3-0/resolve/9403a6902bb58e3d5ae8c7e77c3422de279db2e0/model.onnx',
      sizeBytes: 5_992_913,
      licence: 'MIT',
    });
    expect(catalogueEntry('wespeaker-voxceleb-resnet34-lm')).toMatchObject({
      kind: 'speaker-embedding',
      fileName: 'wespeaker_en_voxceleb_resnet34_LM.onnx',
      url: 'https://github.com/k2-fsa/sherpa-onnx/releases/download/speaker-recongition-models/wespeaker_en_voxceleb_resnet34_LM.onnx',
      sizeBytes: 26_530_550,
      licence: 'CC-BY-4.0',
    });
  });

  it('has sherpa-onnx models as the release archives of its examples, each with its size and digest', () => {
    const e = catalogueEntry('nemo-parakeet-tdt-0.6b-v2-int8')!;
    expect(e).toMatchObject({
      kind: 'sherpa',
      url: 'https://github.com/k2-fsa/sherpa-onnx/releases/download/asr-models/sherpa-onnx-nemo-parakeet-tdt-0.6b-v2-int8.tar.bz2',
      unpacksTo: 'sherpa-onnx-nemo-parakeet-tdt-0.6b-v2-int8',
      languages: 'en',
      sizeBytes: 482_468_385,
      sha256: '157c157bc51155e03e37d2466522a3a737dd9c72bb25f36eb18912964161e1ad',
    });
    expect(catalogueEntry('streaming-zipformer-bilingual-zh-en-2023-02-20')).toMatchObject({
      kind: 'sherpa-streaming',
      modelType: 'zipformer',
    });
    const archives = catalogue().filter((x) => x.unpacksTo);
    expect(archives.length).toBeGreaterThanOrEqual(9);
    for (const s of archives) {
      expect(s.sizeBytes).toBeGreaterThan(100_000_000);
      expect(s.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(s.fileName).toBe(`${s.unpacksTo}.tar.bz2`);
    }
    // No two archives share a digest (a row copied without its own would).
    expect(new Set(archives.map((s) => s.sha256)).size).toBe(archives.length);
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
    expect(catalogueEntry('silero-vad')?.url).toBe('http://127.0.0.1:9/mirror/silero_vad.onnx');
    expect(catalogueEntry('pyannote-segmentation-3.0')?.url).toBe('http://127.0.0.1:9/mirror/sherpa-onnx-pyannote-segmentation-3-0.onnx');
  });
});
