import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AssemblyAI } from 'assemblyai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wordErrorRate } from '../../src/text/wer.js';
import { ffmpegConvert, librivoxClips, pocketsphinxCli } from '../helpers/librivox.js';
import { startServer, type TestServer } from '../helpers/server.js';

const FORMATS: { ext: string; args: string[] }[] = [
  { ext: 'wav', args: [] },
  { ext: 'mp3', args: ['-b:a', '64k'] },
  { ext: 'flac', args: [] },
  { ext: 'ogg', args: ['-c:a', 'libvorbis', '-q:a', '4'] },
];

describe('real speech through the server', () => {
  let server: TestServer;
  let client: AssemblyAI;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-speech-'));
  const clips = librivoxClips();
  const cliText = new Map<string, string>();

  beforeAll(async () => {
    server = await startServer();
    client = new AssemblyAI({ apiKey: server.key, baseUrl: server.url });
    for (const c of clips) cliText.set(c.id, await pocketsphinxCli(c.wav));
  });
  afterAll(async () => {
    await server?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each(FORMATS)('LibriVox as $ext: word timings, and WER no worse than pocketsphinx CLI + 2 points', async ({ ext, args }) => {
    let refWords = 0;
    let ours = 0;
    let cli = 0;
    const jobs = clips.map(async (c) => {
      const file = ext === 'wav' ? c.wav : await ffmpegConvert(c.wav, path.join(dir, `${c.id}.${ext}`), args);
      const t = await client.transcripts.transcribe({ audio: file, punctuate: false, format_text: false }, { pollingInterval: 250 });
      expect(t.status).toBe('completed');
      const words = t.words!;
      expect(words.length).toBeGreaterThan(3);
      for (const w of words) {
        expect(w.start).toBeGreaterThanOrEqual(0);
        expect(w.end).toBeGreaterThan(w.start);
        expect(w.end).toBeLessThanOrEqual((t.audio_duration! + 1) * 1000); // audio_duration is whole seconds
      }
      const n = c.reference.split(' ').length;
      refWords += n;
      ours += wordErrorRate(c.reference, t.text!) * n;
      cli += wordErrorRate(c.reference, cliText.get(c.id)!) * n;
    });
    await Promise.all(jobs);
    const werOurs = ours / refWords;
    const werCli = cli / refWords;
    console.log(`${ext}: WER earshot ${(werOurs * 100).toFixed(1)}% vs pocketsphinx CLI on the WAV ${(werCli * 100).toFixed(1)}%`);
    expect(werOurs).toBeLessThanOrEqual(werCli + 0.02);
  });

  it('honours audio_start_from / audio_end_at with times counted from the file start', async () => {
    const c = clips[0];
    const full = await client.transcripts.transcribe({ audio: c.wav }, { pollingInterval: 250 });
    const cut = await client.transcripts.transcribe({ audio: c.wav, audio_start_from: 1500, audio_end_at: 4000 }, { pollingInterval: 250 });
    expect(cut.status).toBe('completed');
    expect(cut.audio_start_from).toBe(1500);
    expect(cut.audio_end_at).toBe(4000);
    expect(cut.words!.length).toBeGreaterThan(0);
    expect(cut.words!.length).toBeLessThan(full.words!.length);
    for (const w of cut.words!) {
      expect(w.start).toBeGreaterThanOrEqual(1400);
      expect(w.end).toBeLessThanOrEqual(4100);
    }
  });

  it("fails audio shorter than 160 ms with upstream's message", async () => {
    const short = await ffmpegConvert(clips[0].wav, path.join(dir, 'short.wav'), ['-t', '0.1']);
    const t = await client.transcripts.transcribe({ audio: short }, { pollingInterval: 250 });
    expect(t.status).toBe('error');
    expect(t.error).toBe('Audio duration is too short.');
  });
});
