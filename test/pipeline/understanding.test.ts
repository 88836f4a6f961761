import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSchema } from '../helpers/openapi.js';
import { api, startServer, type TestServer, waitForTranscript } from '../helpers/server.js';

const run = promisify(execFile);
const JOB_MS = 240_000;

type Word = { text: string; start: number; end: number };

/**
 * Speech pocketsphinx hears mostly right from espeak-ng: "It cost 20 dollars … company is microsoft
 * … company is great …" (the words between may mishear; the assertions below only lean on these).
 */
async function speech(dir: string): Promise<string> {
  const raw = path.join(dir, 'raw.wav');
  const out = path.join(dir, 'speech.wav');
  const text = 'it cost twenty dollars and the company is microsoft. the company is great and the service is wonderful';
  await run('espeak-ng', ['-v', 'en-gb-x-rp', '-s', '140', '-w', raw, text]);
  await run('sox', ['-R', raw, '-r', '16000', '-c', '1', '-b', '16', out, 'pad', '0.3', '0.5']);
  return out;
}

describe('sentiment_analysis, auto_highlights and filter_profanity end to end', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-understanding-'));
  let server: TestServer;
  let uploadUrl: string;

  beforeAll(async () => {
    const file = await speech(dir);
    server = await startServer();
    const res = await api(server, '/v2/upload', { method: 'POST', body: fs.readFileSync(file) });
    uploadUrl = ((await res.json()) as { upload_url: string }).upload_url;
  }, 120_000);
  afterAll(async () => {
    await server?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('one job gives per-sentence sentiment, ranked key phrases with their times, and masked profanity', { timeout: JOB_MS }, async () => {
    const res = await api(server, '/v2/transcript', {
      method: 'POST',
      json: {
        audio_url: uploadUrl,
        sentiment_analysis: true,
        auto_highlights: true,
        filter_profanity: true,
        // A word the recogniser hears, spelt as profanity: what filter_profanity then masks.
        custom_spelling: [{ from: ['dollars'], to: 'shit' }],
      },
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const t = await waitForTranscript(server, ((await res.json()) as { id: string }).id, JOB_MS - 10_000);
    expect(t.error ?? null).toBeNull();
    validateSchema('Transcript', t);
    expect(t).toMatchObject({ sentiment_analysis: true, auto_highlights: true, filter_profanity: true });
    expect(t.text).toMatch(/^It cost 20 s\*\*\*/);
    expect(t.text).not.toMatch(/shit/i);

    const words = t.words as Word[];
    const sentences = t.sentiment_analysis_results as { text: string; start: number; end: number; sentiment: string; speaker: null }[];
    expect(sentences.map((s) => s.text).join(' ')).toBe(t.text);
    expect(sentences[0]!.start).toBe(words[0]!.start);
    expect(sentences.at(-1)!.end).toBe(words.at(-1)!.end);
    expect(sentences.find((s) => /company is great/.test(s.text))?.sentiment).toBe('POSITIVE');
    for (const s of sentences) expect(s.speaker).toBeNull();

    const highlights = t.auto_highlights_result as {
      status: string;
      results: { text: string; count: number; timestamps: { start: number; end: number }[] }[];
    };
    expect(highlights.status).toBe('success');
    const company = highlights.results.find((h) => h.text === 'company')!;
    const said = words.filter((w) => w.text.replace(/\W+$/, '').toLowerCase() === 'company');
    expect(said.length).toBeGreaterThanOrEqual(2);
    expect(company).toMatchObject({ count: said.length, timestamps: said.map((w) => ({ start: w.start, end: w.end })) });
  });

  it('disfluencies keeps the fillers the engine heard, and drops them by default', { timeout: JOB_MS }, async () => {
    // pocketsphinx hears espeak-ng's "um" and "uh" as "ah" (and more of them): fillers either way.
    const raw = path.join(dir, 'fillers-raw.wav');
    const wav = path.join(dir, 'fillers.wav');
    await run('espeak-ng', ['-v', 'en-us', '-s', '130', '-w', raw, 'so um, the meeting is, uh, on monday']);
    await run('sox', ['-R', raw, '-r', '16000', '-c', '1', '-b', '16', wav, 'pad', '0.3', '0.5']);
    const up = await api(server, '/v2/upload', { method: 'POST', body: fs.readFileSync(wav) });
    const audio_url = ((await up.json()) as { upload_url: string }).upload_url;
    const texts: Record<string, string[]> = {};
    for (const disfluencies of [false, true]) {
      const res = await api(server, '/v2/transcript', {
        method: 'POST',
        json: { audio_url, disfluencies, punctuate: false, format_text: false },
      });
      const t = await waitForTranscript(server, ((await res.json()) as { id: string }).id, JOB_MS - 10_000);
      expect(t).toMatchObject({ status: 'completed', disfluencies });
      texts[String(disfluencies)] = (t.words as Word[]).map((w) => w.text);
    }
    const fillers = (words: string[]) => words.filter((w) => /^(ah|um|uh|er|hmm)$/.test(w));
    expect(fillers(texts.true!).length).toBeGreaterThan(0);
    expect(fillers(texts.false!)).toEqual([]);
    // The same words otherwise: only the fillers went.
    expect(texts.true!.filter((w) => !fillers([w]).length)).toEqual(texts.false);
  });

  it('refuses the features that run on an LLM when none is configured, saying how to configure one', async () => {
    const res = await api(server, '/v2/transcript', {
      method: 'POST',
      json: { audio_url: uploadUrl, sentiment_analysis: true, auto_chapters: true },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(
      /^These features run on an LLM: auto_chapters\. No LLM is configured on this Earshot server.*EARSHOT_LLM_URL/,
    );
  });
});
