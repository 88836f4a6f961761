import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { wordErrorRate } from '../../src/text/wer.js';
import { librivoxClips } from '../helpers/librivox.js';
import { hermeticEnv, runCli } from '../helpers/server.js';
import { hiss, whisperLidStandin } from '../helpers/whisper-lid.js';

const clip = librivoxClips()[2];
const env = hermeticEnv({ EARSHOT_ENGINE: 'pocketsphinx' });
const HANDMADE = fileURLToPath(new URL('../../../shared/models/handmade/', import.meta.url));

describe('earshot transcribe FILE', () => {
  it('prints the transcript text', async () => {
    const { code, stdout } = await runCli(['transcribe', clip.wav], env);
    expect(code).toBe(0);
    expect(wordErrorRate(clip.reference, stdout)).toBeLessThan(0.5);
    expect(stdout.trim()).toMatch(/^[A-Z].*[.?!]$/);
  });

  it('prints JSON words with timings and SRT captions', async () => {
    const json = await runCli(['transcribe', clip.wav, '--format', 'json', '--quiet'], env);
    expect(json.code).toBe(0);
    const t = JSON.parse(json.stdout) as { text: string; words: { text: string; start: number; end: number }[] };
    expect(t.words.length).toBeGreaterThan(5);
    expect(t.words.every((w) => w.end > w.start)).toBe(true);
    const srt = await runCli(['transcribe', clip.wav, '--format', 'srt'], env);
    expect(srt.stdout).toMatch(/^1\n00:00:\d\d,\d{3} --> 00:00:\d\d,\d{3}\n\S/);
  });

  it('says what is wrong with a missing or non-audio file, exit code 1', async () => {
    const missing = await runCli(['transcribe', '/nonexistent/file.mp3'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('earshot: no such file: /nonexistent/file.mp3\n');
    const text = await runCli(['transcribe', new URL(import.meta.url).pathname], env);
    expect(text.code).toBe(1);
    expect(text.stderr).toMatch(/does not appear to contain audio/);
  });

  it('labels speakers with --speaker-labels, or says which models to pull', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-cli-speakers-'));
    try {
      const missing = await runCli(['transcribe', clip.wav, '--speaker-labels', '--data-dir', dataDir], env);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('--speaker-labels needs the speaker diarization models');
      expect(missing.stderr).toContain('`earshot models pull pyannote-segmentation-3.0`');
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
    const models = [
      '--diarization-segmentation-model',
      path.join(HANDMADE, 'segmentation-energy.onnx'),
      '--diarization-embedding-model',
      path.join(HANDMADE, 'embedding-meanstd.onnx'),
    ];
    const json = await runCli(
      ['transcribe', clip.wav, '--speaker-labels', '--speakers-expected', '1', ...models, '--format', 'json', '--quiet'],
      env,
    );
    expect(json.code, json.stderr).toBe(0);
    const t = JSON.parse(json.stdout) as { text: string; words: { speaker: string }[]; utterances: { speaker: string; text: string }[] };
    expect(t.words.every((w) => w.speaker === 'A')).toBe(true);
    expect(t.utterances).toEqual([expect.objectContaining({ speaker: 'A', text: t.text })]);
    const bad = await runCli(['transcribe', clip.wav, '--speaker-labels', '--speakers-expected', 'two', ...models], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--speakers-expected must be a whole number of at least 1');
  });

  it('detects the language with --language-detection, refuses one the engine cannot transcribe, or says which model to pull', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-cli-lid-'));
    try {
      const missing = await runCli(['transcribe', clip.wav, '--language-detection', '--data-dir', dir], env);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('--language-detection needs a spoken language identification model');
      expect(missing.stderr).toContain('earshot models pull whisper-tiny');

      // The Whisper-shaped stand-in calls speech "en" and hiss "fr".
      const lid = ['--language-id-model', whisperLidStandin(path.join(dir, 'lid'))];
      const json = await runCli(['transcribe', clip.wav, '--language-detection', ...lid, '--format', 'json', '--quiet'], env);
      expect(json.code, json.stderr).toBe(0);
      const t = JSON.parse(json.stdout) as { language_code: string; language_confidence: number; words: unknown[] };
      expect(t.language_code).toBe('en_us');
      expect(t.language_confidence).toBeGreaterThan(0.5);
      expect(t.words.length).toBeGreaterThan(5);
      expect(json.stderr).toMatch(/^Language: en_us \(detected, confidence 0\.\d{4}\)$/m);

      const french = await runCli(['transcribe', hiss(dir), '--language-detection', ...lid], env);
      expect(french.code).toBe(1);
      expect(french.stderr).toMatch(
        /The detected language fr \(confidence 0\.\d{4}\) is not supported by the speech model pocketsphinx-en-us/,
      );

      const both = await runCli(['transcribe', clip.wav, '--language-detection', '--language-code', 'en', ...lid], env);
      expect(both.code).toBe(1);
      expect(both.stderr).toContain('--language-code and --language-detection cannot be used together');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
