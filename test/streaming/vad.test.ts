import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { StreamingHub } from '../../src/streaming/hub.js';
import { SileroModel } from '../../src/streaming/silero-vad.js';
import { EnergyVad, type Vad } from '../../src/streaming/vad.js';
import { freshDb, type TestDb } from '../helpers/db.js';
import { SILERO_MODEL } from '../helpers/server.js';
import { espeakSpeech } from '../helpers/streaming.js';

const run = promisify(execFile);
const BYTES_PER_MS = 32;
const LEAD_MS = 1000;
const TAIL_MS = 2000;

let dir: string;
/** espeak-ng speech between 1 s and 2 s of digital silence: speech ends exactly at `speechEndMs`. */
let audio: Buffer;
let speechEndMs: number;
let model: SileroModel;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-vad-'));
  ({ audio, speechEndMs } = await espeakSpeech('The committee will decide on the budget next Tuesday morning.', LEAD_MS, TAIL_MS));
  model = await SileroModel.load(SILERO_MODEL);
});

afterAll(async () => {
  await model?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function feed(vad: Vad, pcm: Buffer, chunkMs: number): Promise<number> {
  for (let i = 0; i < pcm.length; i += chunkMs * BYTES_PER_MS) await vad.push(pcm.subarray(i, i + chunkMs * BYTES_PER_MS));
  return vad.lastSpeechMs;
}

describe('Silero VAD', () => {
  it('places the end of speech within 150 ms of where it is', async () => {
    const last = await feed(model.open(0.4), audio, 100);
    expect(last).toBeGreaterThan(speechEndMs - 150);
    expect(last).toBeLessThan(speechEndMs + 150);
  });

  it('hears no speech in silence', async () => {
    expect(await feed(model.open(0.4), Buffer.alloc(3000 * BYTES_PER_MS), 100)).toBe(0);
  });

  it('gives the same answer however the audio is chunked (its state carries across pushes)', async () => {
    const a = await feed(model.open(0.4), audio, 50);
    const b = await feed(model.open(0.4), audio, 1000);
    const c = await feed(model.open(0.4), audio, 37);
    expect(b).toBe(a);
    expect(c).toBe(a);
  });

  it('keeps each session apart: two interleaved sessions answer as one alone', async () => {
    const alone = await feed(model.open(0.4), audio, 100);
    const [x, y] = [model.open(0.4), model.open(0.4)];
    const silence = Buffer.alloc(audio.length);
    for (let i = 0; i < audio.length; i += 3200) {
      await Promise.all([x.push(audio.subarray(i, i + 3200)), y.push(silence.subarray(i, i + 3200))]);
    }
    expect(x.lastSpeechMs).toBe(alone);
    expect(y.lastSpeechMs).toBe(0);
  });

  it('applies vad_threshold: a stricter one never hears more speech', async () => {
    const loose = await feed(model.open(0.1), audio, 100);
    const strict = await feed(model.open(0.9), audio, 100);
    const never = await feed(model.open(1.01), audio, 100);
    expect(strict).toBeLessThanOrEqual(loose);
    expect(never).toBe(0);
  });

  it.each([
    ['fluctuating noise', ['synth', '2', 'pinknoise', 'tremolo', '2', '100', 'vol', '0.2']],
    ['music', ['synth', '2', 'pluck', 'C3', 'pluck', 'E3', 'pluck', 'G3', 'vol', '0.3']],
  ])('tells the speech from %s after it, which the energy detector takes for speech', async (_what, effect) => {
    // -R: the same noise every run (SoX seeds its generator from the clock otherwise), so the test cannot flake.
    const { stdout: noise } = await run(
      'sox',
      ['-R', '-n', '-r', '16000', '-c', '1', '-b', '16', '-e', 'signed', '-t', 'raw', '-', ...effect],
      { encoding: 'buffer', maxBuffer: 1 << 26 },
    );
    const speech = audio.subarray(0, speechEndMs * BYTES_PER_MS);
    const mixed = Buffer.concat([speech, noise]);
    const silero = await feed(model.open(0.4), mixed, 100);
    const energy = await feed(new EnergyVad(0.4), mixed, 100);
    // Straight after speech, with no pause, Silero takes up to ~200 ms to let go.
    expect(silero).toBeLessThan(speechEndMs + 300);
    expect(energy).toBeGreaterThan(speechEndMs + 1500);
  });

  it('refuses a file that is not a Silero model', async () => {
    const bad = path.join(dir, 'bad.onnx');
    fs.writeFileSync(bad, 'not an onnx model');
    await expect(SileroModel.load(bad)).rejects.toThrow();
  });
});

describe('energy VAD', () => {
  it('places the end of speech within 300 ms of where it is', async () => {
    const last = await feed(new EnergyVad(0.4), audio, 100);
    expect(last).toBeGreaterThan(speechEndMs - 300);
    expect(last).toBeLessThan(speechEndMs + 300);
  });
});

describe('the streaming hub', () => {
  const log = createLogger('silent');
  let t: TestDb;
  beforeAll(async () => {
    t = await freshDb('pglite');
  });
  afterAll(() => t?.drop());

  it('uses Silero when its model is there', async () => {
    const hub = new StreamingHub(1, { dataDir: dir, vadModel: SILERO_MODEL }, t.db, log);
    const vad = await hub.openVad(0.4);
    expect(vad).not.toBeInstanceOf(EnergyVad);
    expect(await feed(vad, audio, 100)).toBeGreaterThan(speechEndMs - 150);
    await hub.close();
  });

  it.each([
    ['not installed', 'silero-vad'],
    ['a missing file', '/nonexistent/silero_vad.onnx'],
    ['switched off', null],
  ])('falls back to the energy detector when the model is %s', async (_what, vadModel) => {
    const hub = new StreamingHub(1, { dataDir: dir, vadModel }, t.db, log);
    expect(await hub.openVad(0.4)).toBeInstanceOf(EnergyVad);
    await hub.close();
  });

  it('falls back to the energy detector when the model file is broken', async () => {
    const bad = path.join(dir, 'broken.onnx');
    fs.writeFileSync(bad, 'garbage');
    const hub = new StreamingHub(1, { dataDir: dir, vadModel: bad }, t.db, log);
    expect(await hub.openVad(0.4)).toBeInstanceOf(EnergyVad);
    await hub.close();
  });
});
