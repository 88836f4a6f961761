import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, transcribeFile, waitForTranscript, type TestServer } from '../helpers/server.js';

/**
 * Batch jobs on a sherpa-onnx offline model through the real server. No real weights can be had here, so
 * the model is a weight-free stand-in in NeMo CTC's interface, made by test/helpers/make_nemo_ctc_standin.py
 * with Debian's python3-onnx: one `speech` word per loud stretch, timed to the 10 ms frame.
 */
const GENERATOR = fileURLToPath(new URL('../helpers/make_nemo_ctc_standin.py', import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-sherpa-batch-'));
const modelDir = path.join(dir, 'sherpa-onnx-nemo-ctc-standin');

/** A 16 kHz mono WAV: silence, or a 300 Hz tone of the given amplitude (0–1). */
function wav(file: string, parts: [ms: number, amplitude: number][]): void {
  const samples = parts.reduce((n, [ms]) => n + ms * 16, 0);
  const b = Buffer.alloc(44 + samples * 2);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + samples * 2, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(16_000, 24);
  b.writeUInt32LE(32_000, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36);
  b.writeUInt32LE(samples * 2, 40);
  let at = 44;
  for (const [ms, amp] of parts)
    for (let i = 0; i < ms * 16; i++, at += 2) b.writeInt16LE(Math.round(32767 * amp * Math.sin((2 * Math.PI * 300 * i) / 16_000)), at);
  fs.writeFileSync(file, b);
}

describe('batch jobs on a sherpa-onnx offline model', () => {
  let server: TestServer;
  beforeAll(async () => {
    fs.mkdirSync(modelDir);
    // Fails loudly without Debian's python3-onnx (apt-get install python3-onnx).
    execFileSync('/usr/bin/python3', [GENERATOR], { env: { ...process.env, OUT: modelDir } });
    server = await startServer({ env: { EARSHOT_ENGINE: 'sherpa', EARSHOT_SHERPA_MODEL: modelDir } });
  }, 60_000);
  afterAll(async () => {
    await server?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('transcribes past the 30 s piece limit with word times from token timestamps and confidence from the audio', async () => {
    const file = path.join(dir, 'tones.wav');
    // Loud stretches at 0.5 s, 3 s (quieter) and 34 s: the last one lies in the second 30 s piece.
    wav(file, [
      [500, 0],
      [1000, 0.3],
      [1500, 0],
      [800, 0.05],
      [30_200, 0],
      [600, 0.3],
      [400, 0],
    ]);
    const t = await waitForTranscript(server, await transcribeFile(server, file, { punctuate: false, format_text: false }));
    expect(t.status, String(t.error)).toBe('completed');
    expect(t.speech_model_used).toBe('sherpa-nemo-ctc-standin');
    const words = t.words as { text: string; start: number; end: number; confidence: number }[];
    expect(words.map((w) => w.text)).toEqual(['speech', 'speech', 'speech']);
    // Token timestamps are 10 ms frames here: each word starts within a few frames of its tone.
    for (const [w, at] of [
      [words[0]!, 500],
      [words[1]!, 3000],
      [words[2]!, 34_000],
    ] as const)
      expect(Math.abs(w.start - at)).toBeLessThanOrEqual(40);
    for (const w of words) expect(w.end).toBeGreaterThan(w.start);
    // No token probabilities from a CTC model: confidence says how far each word stands above the noise floor.
    expect(words[0]!.confidence).toBeGreaterThan(words[1]!.confidence);
    expect(words[1]!.confidence).toBeGreaterThan(0);
    expect(words[0]!.confidence).toBeLessThanOrEqual(1);
  }, 60_000);

  it('takes any language_code on a model not marked English-only', async () => {
    // The stand-in's directory has no language in its name, so it is taken as multilingual: any code goes through.
    const file = path.join(dir, 'short.wav');
    wav(file, [
      [300, 0],
      [500, 0.3],
      [300, 0],
    ]);
    const t = await waitForTranscript(server, await transcribeFile(server, file, { language_code: 'fr' }));
    expect(t.status, String(t.error)).toBe('completed');
    expect(t.language_code).toBe('fr');
  }, 30_000);
});
