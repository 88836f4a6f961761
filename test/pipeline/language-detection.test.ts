import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { AssemblyAI } from 'assemblyai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { librivoxClip } from '../helpers/librivox.js';
import { validateSchema } from '../helpers/openapi.js';
import { api, startServer, transcribeFile, waitForTranscript, type TestServer } from '../helpers/server.js';
import { hiss as hissFile, whisperLidStandin } from '../helpers/whisper-lid.js';

const run = promisify(execFile);
describe('language_detection (the Whisper-shaped stand-in through the real server, pocketsphinx transcribing)', {
  timeout: 240_000,
}, () => {
  let server: TestServer;
  let bare: TestServer;
  let dir: string;
  let speech: string;
  let hiss: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-langid-'));
    const model = whisperLidStandin(path.join(dir, 'sherpa-onnx-whisper-handmade'));
    speech = librivoxClip('0870');
    hiss = hissFile(dir);
    // One server with the model given by path; one on the default (the catalogue's whisper-tiny, not installed).
    [server, bare] = await Promise.all([startServer({ env: { EARSHOT_LANGUAGE_ID_MODEL: model } }), startServer()]);
  });
  afterAll(async () => {
    if (process.env.EARSHOT_TEST_SHOW_OUTPUT) console.log(server?.output());
    await Promise.all([server?.destroy(), bare?.destroy()]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const create = (s: TestServer, json: Record<string, unknown>) =>
    api(s, '/v2/transcript', { method: 'POST', json: { audio_url: 'https://example.com/a.mp3', ...json } });
  const errorOf = async (res: Response) => ((await res.json()) as { error: string }).error;

  it('refuses language_detection with a 400 saying how to install the model while none is installed', async () => {
    const res = await create(bare, { language_detection: true });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toBe(
      'language_detection needs a spoken language identification model, which is not installed on this Earshot server: run `earshot models pull whisper-tiny`',
    );
    const caps = (await (await api(bare, '/v2/console/capabilities')).json()) as { unsupported_features: string[] };
    expect(caps.unsupported_features).toContain('language_detection');
    const ready = (await (await api(server, '/v2/console/capabilities')).json()) as { unsupported_features: string[] };
    expect(ready.unsupported_features).not.toContain('language_detection');
  });

  it('validates its options and refuses what it cannot honour, by name', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ language_detection: true, language_code: 'en_us' }, 'language_code and language_detection cannot be used together'],
      [{ language_confidence_threshold: 0.5 }, 'language_confidence_threshold applies to automatic language detection'],
      [{ language_detection: true, language_confidence_threshold: 2 }, 'language_confidence_threshold must be at most 1'],
      [
        { language_detection: true, language_detection_options: { expected_languages: 'en' } },
        'expected_languages must be a list of strings',
      ],
      [
        { language_detection: true, language_detection_options: { expected_languages: ['en', 'es'], fallback_language: 'fr' } },
        'fallback_language must be one of the expected_languages, or "auto"',
      ],
      [{ language_detection: true, language_detection_options: { code_switching: true } }, 'language_detection_options.code_switching'],
      [
        { language_detection: true, language_detection_options: { languages: ['en'] } },
        'language_detection_options has no field languages',
      ],
    ];
    for (const [body, message] of cases) {
      const res = await create(server, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(await errorOf(res)).toContain(message);
    }
    const ok = await create(server, {
      language_detection: true,
      language_detection_options: { code_switching: false, fallback_language: 'auto' },
    });
    expect(ok.status).toBe(200);
    const queued = (await ok.json()) as Record<string, unknown>;
    // No language until it is detected.
    expect([queued.language_detection, queued.language_code ?? null, queued.language_confidence]).toEqual([true, null, null]);
  });

  it('detects the language, transcribes in it and reports it as upstream: language_code en_us and its confidence', async () => {
    const t = await waitForTranscript(
      server,
      await transcribeFile(server, speech, { language_detection: true, language_confidence_threshold: 0.5 }),
    );
    expect(t.error).toBeUndefined();
    expect(t.status).toBe('completed');
    expect(t.language_detection).toBe(true);
    expect(t.language_code).toBe('en_us');
    expect(t.language_confidence).toBeGreaterThan(0.5);
    expect(t.language_confidence).toBeLessThanOrEqual(1);
    expect(String(t.text).split(' ').length).toBeGreaterThan(5);
    await validateSchema('Transcript', t);
    // The same file gives the same language and confidence every time.
    const again = await waitForTranscript(server, await transcribeFile(server, speech, { language_detection: true }));
    expect([again.language_code, again.language_confidence]).toEqual([t.language_code, t.language_confidence]);
    // As the Node SDK reads it.
    const sdk = await new AssemblyAI({ apiKey: server.key, baseUrl: server.url }).transcripts.get(String(t.id));
    expect([sdk.language_code, sdk.language_confidence, sdk.language_detection]).toEqual(['en_us', t.language_confidence, true]);
  });

  it('fails the transcript with upstream text when the confidence is below language_confidence_threshold', async () => {
    const t = await waitForTranscript(
      server,
      await transcribeFile(server, speech, { language_detection: true, language_confidence_threshold: 1 }),
    );
    expect(t.status).toBe('error');
    expect(t.error).toMatch(/^detected language 'en_us', confidence 0\.\d{4}, is below the requested confidence threshold value of '1'$/);
  });

  it('fails, naming what would work, when the engine cannot transcribe the detected language', async () => {
    const t = await waitForTranscript(server, await transcribeFile(server, hiss, { language_detection: true }));
    expect(t.status).toBe('error');
    expect(t.error).toMatch(/^The detected language fr \(confidence 0\.\d{4}\) is not supported by the speech model pocketsphinx-en-us/);
  });

  it('keeps detection to expected_languages, with their confidence among themselves, and uses fallback_language', async () => {
    // The hiss is "fr" first, but only English is expected: English, as the only candidate, with all of the share.
    const only = await waitForTranscript(
      server,
      await transcribeFile(server, hiss, { language_detection: true, language_detection_options: { expected_languages: ['en_uk'] } }),
    );
    expect(only.error).toBeUndefined();
    expect([only.language_code, only.language_confidence]).toEqual(['en_uk', 1]);
    expect(only.language_detection_options).toEqual({ expected_languages: ['en_uk'], fallback_language: 'auto' });
    // The detected "fr" is not expected: the named fallback is used.
    const fallback = await waitForTranscript(
      server,
      await transcribeFile(server, hiss, {
        language_detection: true,
        language_detection_options: { expected_languages: ['de', 'en'], fallback_language: 'en' },
      }),
    );
    expect(fallback.error).toBeUndefined();
    expect(fallback.language_code).toBe('en');
    expect(fallback.language_confidence).toBeGreaterThan(0);
  });

  it('detects one language for a multichannel file, over its channels mixed down, and transcribes each channel in it', async () => {
    const stereo = path.join(dir, 'stereo.wav');
    await run('sox', ['-R', '-M', speech, librivoxClip('0880'), stereo]);
    const t = await waitForTranscript(server, await transcribeFile(server, stereo, { language_detection: true, multichannel: true }));
    expect(t.error).toBeUndefined();
    expect(t).toMatchObject({ status: 'completed', audio_channels: 2, language_code: 'en_us' });
    expect(t.language_confidence).toBeGreaterThan(0.5);
    expect(new Set((t.words as { channel: string }[]).map((w) => w.channel))).toEqual(new Set(['1', '2']));
  });
});
