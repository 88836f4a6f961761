import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudio } from '../../src/audio/decode.js';
import { EnergyVad, SpeechMeter } from '../../src/streaming/vad.js';
import { api, startServer, waitForTranscript, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);

/** 1.5 s of espeak-ng speech, then 9 s of silence: about 14 % speech. */
async function mostlySilence(dir: string): Promise<string> {
  const raw = path.join(dir, 'speech.wav');
  const out = path.join(dir, 'mostly-silence.wav');
  await run('espeak-ng', ['-w', raw, 'Please call me back tomorrow.']);
  await run('sox', ['-R', raw, '-r', '16000', '-c', '1', '-b', '16', out, 'trim', '0', '1.5', 'pad', '0', '9']);
  return out;
}

describe('speech_threshold', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-threshold-'));
  let server: TestServer;
  let file: string;
  let uploadUrl: string;

  beforeAll(async () => {
    file = await mostlySilence(dir);
    server = await startServer({ storage: 'postgres' });
    const res = await api(server, '/v2/upload', { method: 'POST', body: fs.readFileSync(file) });
    uploadUrl = ((await res.json()) as { upload_url: string }).upload_url;
  });
  afterAll(async () => {
    await server?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function transcribe(body: Record<string, unknown>) {
    const res = await api(server, '/v2/transcript', { method: 'POST', json: { audio_url: uploadUrl, ...body } });
    expect(res.status).toBe(200);
    return waitForTranscript(server, ((await res.json()) as { id: string }).id, 180_000);
  }

  it("fails a file with less speech than asked for with upstream's message, and passes it below that", async () => {
    const [strict, lax] = await Promise.all([transcribe({ speech_threshold: 1 }), transcribe({ speech_threshold: 0.05 })]);
    expect(strict.status).toBe('error');
    const m = /^Audio speech threshold (0\.\d+) is below the requested speech threshold value 1\.0$/.exec(String(strict.error));
    expect(m, String(strict.error)).not.toBeNull();
    // Silero hears the 1.5 s of speech in 10.5 s.
    expect(Number(m![1])).toBeGreaterThan(0.08);
    expect(Number(m![1])).toBeLessThan(0.25);
    expect(strict.speech_threshold).toBe(1);
    expect(lax.status).toBe('completed');
  }, 300_000);

  it('the energy detector measures about the same fraction', async () => {
    const meter = new SpeechMeter(new EnergyVad(0.5));
    for await (const chunk of decodeAudio(file).pcm) await meter.push(chunk);
    expect(meter.fraction).toBeGreaterThan(0.08);
    expect(meter.fraction).toBeLessThan(0.25);
  });

  it('runs the first available of speech_models, names it in speech_model_used, and refuses an unknown one', async () => {
    const bad = await api(server, '/v2/transcript', { method: 'POST', json: { audio_url: uploadUrl, speech_models: ['no-such-model'] } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: expect.stringMatching(/^Invalid speech model: no-such-model\. Available models: pocketsphinx-en-us, universal-3-pro/),
    });
    const legacy = await api(server, '/v2/transcript', { method: 'POST', json: { audio_url: uploadUrl, speech_model: 'no-such-model' } });
    expect(legacy.status).toBe(400);
    const t = await transcribe({ speech_models: ['universal-3-pro', 'universal-2'] });
    expect(t.status).toBe('completed');
    expect(t.speech_models).toEqual(['universal-3-pro', 'universal-2']);
    expect(t.speech_model_used).toBe('pocketsphinx-en-us');
  }, 300_000);
});
