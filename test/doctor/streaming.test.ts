import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulawToPcm, pcmToMulaw, resample, sampleStream, sampleWav } from '../../src/doctor/sample.js';
import { parseWav } from '../../src/audio/wav.js';
import { analyzeRawAudio, checkPlannedAudio } from '../../src/doctor/streaming.js';
import { librivoxClips } from '../helpers/librivox.js';

const run = promisify(execFile);
const clip = librivoxClips()[0]!.wav;
const S16 = { sampleRate: 16_000, encoding: 'pcm_s16le' as const };

async function convert(out: string, args: string[]): Promise<string> {
  await run('ffmpeg', ['-y', '-loglevel', 'error', '-i', clip, ...args, out]);
  return out;
}

describe('streaming: the audio a user plans to send', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'doctor-stream-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const raw = async (name: string, args: string[]) => fs.readFileSync(await convert(path.join(dir, name), args));

  it('raw 16-bit little-endian mono reads as plausible audio', async () => {
    const b = await raw('ok.pcm', ['-ac', '1', '-ar', '16000', '-f', 's16le']);
    const codes = analyzeRawAudio(b, S16).map((f) => f.code);
    expect(codes).toEqual(['streaming.format_plausible', 'streaming.raw_rate_unknown']);
  });

  it.each([
    ['big-endian samples', ['-ac', '1', '-ar', '16000', '-f', 's16be'], 'streaming.big_endian'],
    ['32-bit float samples', ['-ac', '1', '-ar', '16000', '-f', 'f32le'], 'streaming.float_samples'],
    ['mu-law bytes declared as 16-bit PCM', ['-ac', '1', '-ar', '16000', '-f', 'mulaw'], 'streaming.encoding_mismatch'],
    ['8-bit unsigned samples', ['-ac', '1', '-ar', '16000', '-f', 'u8'], 'streaming.eight_bit'],
    ['interleaved stereo', ['-ac', '2', '-ar', '16000', '-f', 's16le'], 'streaming.stereo'],
  ])('%s are named, with an ffmpeg command as the fix', async (name, args, code) => {
    const b = await raw(`${name.replace(/\W/g, '')}.raw`, args);
    const findings = analyzeRawAudio(b, S16);
    expect(findings.map((f) => f.code)).toEqual([code]);
    expect(findings[0]!.severity).toBe('fail');
    expect(findings[0]!.fix).toMatch(/ffmpeg -i INPUT -ac 1 -ar 16000 -f s16le/);
  });

  it('16-bit PCM sent on a mu-law session is named too', async () => {
    const b = await raw('pcm-for-mulaw.raw', ['-ac', '1', '-ar', '8000', '-f', 's16le']);
    const findings = analyzeRawAudio(b, { sampleRate: 8000, encoding: 'pcm_mulaw' });
    expect(findings.map((f) => f.code)).toEqual(['streaming.encoding_mismatch']);
    expect(findings[0]!.fix).toMatch(/-f mulaw/);
  });

  it('silence is a warning', () => {
    expect(analyzeRawAudio(Buffer.alloc(32_000), S16).map((f) => f.code)).toEqual(['streaming.silent_audio']);
  });

  it('a WAV at another rate than declared is a rate mismatch', async () => {
    const file = await convert(path.join(dir, 'eight.wav'), ['-ac', '1', '-ar', '8000', '-c:a', 'pcm_s16le']);
    const { findings, stream } = await checkPlannedAudio(file, S16);
    expect(stream).toBeNull();
    expect(findings.map((f) => f.code)).toEqual(['streaming.rate_mismatch']);
    expect(findings[0]!.message).toMatch(/8000 Hz but the session declares sample_rate=16000/);
    expect(findings[0]!.fix).toMatch(/Declare sample_rate=8000, or resample/);
  });

  it('a stereo 24-bit WAV is two problems', async () => {
    const file = await convert(path.join(dir, 'wide.wav'), ['-ac', '2', '-ar', '16000', '-c:a', 'pcm_s24le']);
    const codes = (await checkPlannedAudio(file, S16)).findings.map((f) => f.code);
    expect(codes).toEqual(['streaming.not_pcm16', 'streaming.not_mono']);
  });

  it('an MP3 is not raw PCM', async () => {
    const file = await convert(path.join(dir, 'a.mp3'), ['-ac', '1']);
    const { findings } = await checkPlannedAudio(file, S16);
    expect(findings.map((f) => f.code)).toEqual(['streaming.not_raw_pcm']);
  });

  it('a matching WAV passes and its samples (after the header) are what gets streamed', async () => {
    const file = await convert(path.join(dir, 'good.wav'), ['-ac', '1', '-ar', '16000', '-c:a', 'pcm_s16le']);
    const { findings, stream } = await checkPlannedAudio(file, S16);
    expect(findings.map((f) => f.code)).toEqual(['streaming.format_ok', 'streaming.wav_header']);
    const wav = parseWav(fs.readFileSync(file))!;
    expect(stream!.length).toBe(wav.dataBytes);
    expect(wav).toMatchObject({ format: 1, channels: 1, sampleRate: 16_000, bitsPerSample: 16 });
  });
});

describe('the built-in speech sample', () => {
  it('mu-law encodes and decodes losslessly', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i).filter((b) => b !== 0x7f); // 0x7f and 0xff are both zero
    expect([...pcmToMulaw(mulawToPcm(all))]).toEqual([...all]);
  });

  it('comes as 2.4 s at any rate and encoding, and as a 16 kHz WAV', () => {
    expect(sampleStream(16_000, 'pcm_s16le').length).toBe(2.4 * 16_000 * 2);
    expect(sampleStream(8_000, 'pcm_mulaw').length).toBe(2.4 * 8_000);
    expect(resample(new Int16Array(480), 48_000, 16_000).length).toBe(160);
    expect(parseWav(sampleWav())).toMatchObject({ sampleRate: 16_000, channels: 1, bitsPerSample: 16, dataBytes: 2.4 * 32_000 });
    // It reads as speech the doctor's own heuristics accept.
    expect(analyzeRawAudio(sampleStream(16_000, 'pcm_s16le'), S16)[0]!.code).toBe('streaming.format_plausible');
  });
});
