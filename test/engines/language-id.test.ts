import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pcmToFloat } from '../../src/engines/diarization.js';
import { WhisperLanguageId } from '../../src/engines/language-id.js';
import { onnxMetadata } from '../../src/engines/onnx-metadata.js';
import { librivoxClip } from '../helpers/librivox.js';
import { hiss as hissFile, whisperLidStandin } from '../helpers/whisper-lid.js';

const run = promisify(execFile);

async function samplesOf(file: string, dir: string): Promise<Float32Array> {
  const raw = path.join(dir, `${path.basename(file)}.raw`);
  await run('sox', [file, '-t', 'raw', '-e', 'signed', '-b', '16', '-c', '1', '-r', '16000', raw]);
  return pcmToFloat([fs.readFileSync(raw)]);
}

describe('WhisperLanguageId (the handmade Whisper-shaped stand-in)', () => {
  let dir: string;
  let model: string;
  let lid: WhisperLanguageId;
  let speech: Float32Array;
  let hiss: Float32Array;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-lid-'));
    model = whisperLidStandin(path.join(dir, 'model'));
    lid = await WhisperLanguageId.load(
      { encoder: path.join(model, 'handmade-encoder.onnx'), decoder: path.join(model, 'handmade-decoder.onnx') },
      1,
    );
    speech = await samplesOf(librivoxClip('0870'), dir);
    hiss = await samplesOf(hissFile(dir), dir);
  });
  afterAll(async () => {
    await lid?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads the export metadata a real sherpa-onnx Whisper encoder carries', async () => {
    const meta = await onnxMetadata(path.join(model, 'handmade-encoder.onnx'));
    expect(meta.n_mels).toBe('80');
    expect(meta.sot).toBe('50258');
    expect(meta.all_language_codes!.split(',').slice(0, 3)).toEqual(['en', 'zh', 'de']);
    expect(meta.all_language_tokens!.split(',')).toHaveLength(99);
    // The decoder has no metadata: an empty map, not an error.
    expect(await onnxMetadata(path.join(model, 'handmade-decoder.onnx'))).toEqual({});
  });

  it('scores every language, most probable first, summing to 1', async () => {
    const scores = await lid.identify(speech);
    expect(scores).toHaveLength(99);
    expect(scores.reduce((a, s) => a + s.probability, 0)).toBeCloseTo(1, 6);
    for (let i = 1; i < scores.length; i++) expect(scores[i]!.probability).toBeLessThanOrEqual(scores[i - 1]!.probability);
  });

  it('tells the two kinds of audio apart through the real feature and decoder path: speech "en", hiss "fr"', async () => {
    const s = await lid.identify(speech);
    const h = await lid.identify(hiss);
    expect(s[0]!.code).toBe('en');
    expect(h[0]!.code).toBe('fr');
    expect(s[0]!.probability).toBeGreaterThan(0.5);
    expect(h[0]!.probability).toBeGreaterThan(0.5);
  });

  it('looks at the first 30 s only, and gives the same answer every run', async () => {
    const long = new Float32Array(45 * 16_000);
    long.set(speech.subarray(0, Math.min(speech.length, 30 * 16_000)));
    long.set(hiss, 30 * 16_000);
    const a = await lid.identify(long);
    const b = await lid.identify(long.subarray(0, 30 * 16_000));
    expect(a).toEqual(b);
    expect(await lid.identify(speech)).toEqual(await lid.identify(speech));
  });

  it('refuses a model that is not a Whisper export with a sentence that says so', async () => {
    await expect(
      WhisperLanguageId.load({ encoder: path.join(model, 'handmade-decoder.onnx'), decoder: path.join(model, 'handmade-decoder.onnx') }, 1),
    ).rejects.toThrow(/not a Whisper encoder of sherpa-onnx's export: its metadata lacks n_mels/);
    const notOnnx = path.join(dir, 'not.onnx');
    fs.writeFileSync(notOnnx, 'hello, not a model');
    await expect(WhisperLanguageId.load({ encoder: notOnnx, decoder: notOnnx }, 1)).rejects.toThrow();
  });
});
