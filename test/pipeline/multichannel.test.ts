import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogueEntry } from '../../src/models/catalogue.js';
import type { TranscriptWord } from '../../src/transcript/types.js';
import { librivoxClip, twoVoiceMix } from '../helpers/librivox.js';
import { validateSchema } from '../helpers/openapi.js';
import { api, startServer, transcribeFile, waitForTranscript, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const HANDMADE = fileURLToPath(new URL('../../../shared/models/handmade/', import.meta.url));
type Json = Record<string, unknown>;
type Utterance = { speaker: string; channel: string; start: number; end: number; text: string; words: TranscriptWord[] };

/** A word as the engine gave it, without the channel fields a multichannel transcript adds. */
const plain = (w: TranscriptWord) => ({ text: w.text, start: w.start, end: w.end, confidence: w.confidence });

describe('multichannel', () => {
  let server: TestServer;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-multichannel-'));
  // Two different short LibriVox clips, one a channel: the longer on the left, so the right ends in silence.
  const [left, right] = [librivoxClip('0930'), librivoxClip('0880')];
  const stereo = path.join(dir, 'stereo.wav');
  let mono: { left: Json; right: Json };
  let multi: Json;

  async function transcribe(file: string, params: Json = {}): Promise<Json> {
    const t = await waitForTranscript(server, await transcribeFile(server, file, params));
    expect(t.status, String(t.error)).toBe('completed');
    validateSchema('Transcript', t);
    return t;
  }

  beforeAll(async () => {
    await run('sox', ['-R', '-M', left, right, stereo]);
    // Diarization for the per-channel speaker labels: the handmade stand-ins, as the speaker-labels test installs them.
    server = await startServer({ env: { EARSHOT_DIARIZATION_EMBEDDING_MODEL: path.join(HANDMADE, 'embedding-meanstd.onnx') } });
    fs.mkdirSync(path.join(server.dataDir, 'models'), { recursive: true });
    fs.copyFileSync(
      path.join(HANDMADE, 'segmentation-energy.onnx'),
      path.join(server.dataDir, 'models', catalogueEntry('pyannote-segmentation-3.0')!.fileName),
    );
    const [l, r, m] = await Promise.all([transcribe(left), transcribe(right), transcribe(stereo, { multichannel: true })]);
    mono = { left: l, right: r };
    multi = m;
  });
  afterAll(async () => {
    await server?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("gets each clip's words on its own channel, as a transcript of that clip alone", () => {
    expect(multi).toMatchObject({ multichannel: true, audio_channels: 2 });
    const words = multi.words as TranscriptWord[];
    const leftWords = mono.left.words as TranscriptWord[];
    const rightWords = mono.right.words as TranscriptWord[];
    expect(leftWords.length).toBeGreaterThan(3);
    expect(rightWords.length).toBeGreaterThan(3);
    expect(words.filter((w) => w.channel === '1').map(plain)).toEqual(leftWords.map(plain));
    expect(words.filter((w) => w.channel === '2').map(plain)).toEqual(rightWords.map(plain));
    expect(words).toHaveLength(leftWords.length + rightWords.length);
    // Upstream labels each channel's speaker with its number.
    for (const w of words) expect(w.speaker).toBe(w.channel);
    expect(words.map((w) => w.start)).toEqual(words.map((w) => w.start).sort((a, b) => a - b));
    expect(multi.text).toBe(words.map((w) => w.text).join(' '));
    expect(multi.audio_duration).toBe(mono.left.audio_duration);
  });

  it('has utterances per channel, in time order, that hold every word once', () => {
    const utterances = multi.utterances as Utterance[];
    expect(utterances.length).toBeGreaterThanOrEqual(2);
    for (const u of utterances) {
      expect(u.channel).toMatch(/^[12]$/);
      expect(u.speaker).toBe(u.channel);
      expect(u.words.every((w) => w.channel === u.channel)).toBe(true);
      expect(u.text).toBe(u.words.map((w) => w.text).join(' '));
      expect(u.start).toBe(u.words[0]!.start);
      expect(u.end).toBe(u.words[u.words.length - 1]!.end);
    }
    expect(utterances.map((u) => u.start)).toEqual(utterances.map((u) => u.start).sort((a, b) => a - b));
    const byStart = (a: TranscriptWord, b: TranscriptWord) => a.start - b.start || Number(a.channel) - Number(b.channel);
    expect(utterances.flatMap((u) => u.words).sort(byStart)).toEqual(multi.words);
    for (const channel of ['1', '2']) {
      const own = utterances
        .filter((u) => u.channel === channel)
        .map((u) => u.text)
        .join(' ');
      expect(own).toBe(
        (multi.words as TranscriptWord[])
          .filter((w) => w.channel === channel)
          .map((w) => w.text)
          .join(' '),
      );
    }
  });

  it('exports sentences, paragraphs and captions that never mix the channels', async () => {
    const id = multi.id as string;
    const sentences = (await (await api(server, `/v2/transcript/${id}/sentences`)).json()) as Json;
    validateSchema('SentencesResponse', sentences);
    for (const s of sentences.sentences as { channel: string; words: TranscriptWord[] }[]) {
      expect(s.channel).toMatch(/^[12]$/);
      expect(s.words.every((w) => w.channel === s.channel)).toBe(true);
    }
    const paragraphs = (await (await api(server, `/v2/transcript/${id}/paragraphs`)).json()) as Json;
    validateSchema('ParagraphsResponse', paragraphs);
    for (const p of paragraphs.paragraphs as { words: TranscriptWord[] }[]) {
      expect(new Set(p.words.map((w) => w.channel)).size).toBe(1);
    }
    const channelText = ['1', '2'].map((c) =>
      (multi.words as TranscriptWord[])
        .filter((w) => w.channel === c)
        .map((w) => w.text)
        .join(' '),
    );
    for (const format of ['srt', 'vtt']) {
      const res = await api(server, `/v2/transcript/${id}/${format}`);
      expect(res.status).toBe(200);
      const cues = (await res.text()).split('\n\n').filter((block) => block.includes(' --> '));
      expect(cues.length).toBeGreaterThanOrEqual(2);
      for (const cue of cues) {
        const lines = cue.split('\n');
        const text = lines.slice(lines.findIndex((l) => l.includes(' --> ')) + 1).join(' ');
        expect(
          channelText.some((t) => t.includes(text)),
          `${format} cue "${text}" belongs to one channel`,
        ).toBe(true);
      }
    }
  });

  it('gives the same result on a second run', async () => {
    const again = await transcribe(stereo, { multichannel: true });
    expect(again.words).toEqual(multi.words);
    expect(again.utterances).toEqual(multi.utterances);
    expect(again.text).toBe(multi.text);
  });

  it('transcribes a mono file as its one channel', async () => {
    const t = await transcribe(left, { multichannel: true });
    expect(t).toMatchObject({ multichannel: true, audio_channels: 1, text: mono.left.text });
    expect((t.words as TranscriptWord[]).map(plain)).toEqual((mono.left.words as TranscriptWord[]).map(plain));
    expect((t.words as TranscriptWord[]).every((w) => w.channel === '1' && w.speaker === '1')).toBe(true);
    expect((t.utterances as Utterance[]).every((u) => u.channel === '1')).toBe(true);
  });

  it('leaves a transcript without multichannel as it was: no channels, no utterances, no audio_channels', () => {
    expect(mono.left).toMatchObject({ multichannel: false, utterances: null });
    expect(mono.left).not.toHaveProperty('audio_channels');
    expect((mono.left.words as TranscriptWord[]).some((w) => 'channel' in w)).toBe(false);
  });

  it('with speaker_labels, diarizes each channel on its own: speakers 1A, 1B on the first, 2… on the second', async () => {
    // Left: a reader, another voice, the reader again (two speakers); right: one clip of the reader.
    const mixed = path.join(dir, 'diarized-stereo.wav');
    await run('sox', ['-R', '-M', await twoVoiceMix(dir), right, mixed]);
    const t = await transcribe(mixed, { multichannel: true, speaker_labels: true, speakers_expected: 2 });
    expect(t).toMatchObject({ multichannel: true, speaker_labels: true, audio_channels: 2 });
    const words = t.words as TranscriptWord[];
    for (const w of words) expect(w.speaker).toMatch(new RegExp(`^${w.channel}[A-Z]$`));
    const first = words.filter((w) => w.channel === '1');
    expect([...new Set(first.map((w) => w.speaker))]).toEqual(['1A', '1B']);
    expect(first[0]!.speaker).toBe('1A');
    expect(first[first.length - 1]!.speaker).toBe('1A');
    // The other voice (8.1 s to 15.6 s of the left channel) is mostly 1B.
    const inside = first.filter((w) => w.start >= 8100 && w.end <= 15600);
    expect(inside.filter((w) => w.speaker === '1B').length / inside.length).toBeGreaterThan(0.7);
    expect(words.filter((w) => w.channel === '2').map(plain)).toEqual((mono.right.words as TranscriptWord[]).map(plain));
    for (const u of t.utterances as Utterance[]) {
      expect(u.words.every((w) => w.speaker === u.speaker && w.channel === u.channel)).toBe(true);
    }
  });
});
