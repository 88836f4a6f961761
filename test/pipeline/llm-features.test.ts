import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { AssemblyAI } from 'assemblyai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SAFETY_LABELS } from '../../src/lemur/content-safety.js';
import { IAB_LABELS } from '../../src/lemur/iab-taxonomy.js';
import { freePort } from '../../src/net/free-port.js';
import { type FakeChat, fakeLlm, tinyLlmEnv } from '../helpers/llm.js';
import { validateSchema } from '../helpers/openapi.js';
import { api, startServer, type TestServer, waitForTranscript } from '../helpers/server.js';

const run = promisify(execFile);
const JOB_MS = 300_000;

/** About 15 s of espeak-ng speech in three sentences: one chapter, one section. */
async function speech(dir: string): Promise<string> {
  const raw = path.join(dir, 'raw.wav');
  const out = path.join(dir, 'speech.wav');
  const text =
    'smoke from the wildfires is triggering air quality alerts. the weather will stay dry and hot this week. ' +
    'people are told to stay inside and keep their windows closed.';
  await run('espeak-ng', ['-v', 'en-gb-x-rp', '-s', '140', '-w', raw, text]);
  await run('sox', ['-R', raw, '-r', '16000', '-c', '1', '-b', '16', out, 'pad', '0.3', '0.5']);
  return out;
}

async function upload(server: TestServer, file: string): Promise<string> {
  const res = await api(server, '/v2/upload', { method: 'POST', body: fs.readFileSync(file) });
  return ((await res.json()) as { upload_url: string }).upload_url;
}

async function transcribe(server: TestServer, json: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await api(server, '/v2/transcript', { method: 'POST', json });
  expect(res.status, await res.clone().text()).toBe(200);
  const t = await waitForTranscript(server, ((await res.json()) as { id: string }).id, JOB_MS - 20_000);
  expect(t.error ?? null).toBeNull();
  validateSchema('Transcript', t);
  return t;
}

type Words = { start: number; end: number }[];
type Chapter = { gist: string; headline: string; summary: string; start: number; end: number };
type Safety = {
  status: string;
  results: {
    text: string;
    labels: { label: string; confidence: number; severity: number }[];
    sentences_idx_start: number;
    sentences_idx_end: number;
    timestamp: { start: number; end: number };
  }[];
  summary: Record<string, number>;
  severity_score_summary: Record<string, { low: number; medium: number; high: number }>;
};
type Topics = {
  status: string;
  results: { text: string; labels: { label: string; relevance: number }[]; timestamp: { start: number; end: number } }[];
  summary: Record<string, number>;
};

describe('summarization, auto_chapters, content_safety and iab_categories on the LLM', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-llm-features-'));
  let file: string;
  /** The embedded tiny model (random weights): plumbing, schema and determinism. */
  let tiny: TestServer;
  /** An OpenAI-compatible server that answers as scripted: what Earshot makes of known answers. */
  let scripted: TestServer;
  let fake: Awaited<ReturnType<typeof fakeLlm>>;

  const scriptedReply = (chat: FakeChat): string => {
    const prompt = chat.messages.map((m) => m.content).join('\n');
    if (prompt.includes('sensitive topics'))
      return JSON.stringify({
        labels: [
          { label: 'disasters', confidence: 8, severity: 5 },
          { label: 'alcohol', confidence: 3, severity: 9 },
          { label: 'not_a_label', confidence: 10, severity: 10 },
        ],
      });
    if (prompt.includes('IAB Content Taxonomy'))
      return JSON.stringify({
        labels: [
          { label: 'NewsAndPolitics>Weather', relevance: 9 },
          { label: 'Science>Environment', relevance: 4 },
          { label: 'Made>Up', relevance: 10 },
        ],
      });
    if (prompt.includes('one chapter'))
      return JSON.stringify({
        gist: 'Smoky air alerts',
        headline: 'Wildfire smoke brings alerts.',
        summary: 'Smoke and heat keep people inside.',
      });
    if (prompt.includes('bullet points')) return JSON.stringify({ bullets: ['Wildfire smoke triggers alerts', '- People stay inside'] });
    throw new Error(`unexpected prompt: ${prompt.slice(0, 200)}`);
  };

  beforeAll(async () => {
    file = await speech(dir);
    fake = await fakeLlm(await freePort(), scriptedReply);
    [tiny, scripted] = await Promise.all([startServer({ env: tinyLlmEnv(4096) }), startServer({ env: { EARSHOT_LLM_URL: fake.url } })]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([tiny?.destroy(), scripted?.destroy()]);
    await fake?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('with known answers: labels over the threshold, unknown labels dropped, whole-file summaries, chapter texts and bullets', {
    timeout: JOB_MS,
  }, async () => {
    const audio_url = await upload(scripted, file);
    const t = await transcribe(scripted, { audio_url, content_safety: true, iab_categories: true, auto_chapters: true });
    const words = t.words as Words;
    const safety = t.content_safety_labels as Safety;
    expect(t).toMatchObject({ content_safety: true, iab_categories: true, auto_chapters: true, summarization: false, summary: null });
    expect(safety.status).toBe('success');
    expect(safety.results).toHaveLength(1);
    // alcohol's 0.3 is under the default threshold (50); the made-up label is not upstream's.
    expect(safety.results[0]!.labels).toEqual([{ label: 'disasters', confidence: 0.8, severity: 0.5 }]);
    expect(safety.results[0]).toMatchObject({
      text: t.text,
      sentences_idx_start: 0,
      timestamp: { start: words[0]!.start, end: words.at(-1)!.end },
    });
    const sentences = (await (await api(scripted, `/v2/transcript/${t.id}/sentences`)).json()) as { sentences: unknown[] };
    expect(safety.results[0]!.sentences_idx_end).toBe(sentences.sentences.length - 1);
    expect(safety.summary).toEqual({ disasters: 0.8 });
    expect(safety.severity_score_summary).toEqual({ disasters: { low: 0, medium: 1, high: 0 } });

    const topics = t.iab_categories_result as Topics;
    expect(topics.results[0]!.labels).toEqual([
      { relevance: 0.9, label: 'NewsAndPolitics>Weather' },
      { relevance: 0.4, label: 'Science>Environment' },
    ]);
    // (The database's JSON keeps no key order.)
    expect(Object.keys(topics.summary).sort()).toEqual(['NewsAndPolitics>Weather', 'Science>Environment']);
    expect(topics.summary['NewsAndPolitics>Weather']).toBe(1);
    expect(topics.summary['Science>Environment']).toBeCloseTo(0.4 / 0.9, 12);

    expect(t.chapters).toEqual([
      {
        gist: 'Smoky air alerts',
        headline: 'Wildfire smoke brings alerts.',
        summary: 'Smoke and heat keep people inside.',
        start: words[0]!.start,
        end: words.at(-1)!.end,
      },
    ]);

    // A lower threshold keeps alcohol too; summarization gives upstream's "- " bullets.
    const low = await transcribe(scripted, { audio_url, content_safety: true, content_safety_confidence: 25, summarization: true });
    expect((low.content_safety_labels as Safety).results[0]!.labels.map((l) => l.label)).toEqual(['disasters', 'alcohol']);
    expect(low).toMatchObject({ summarization: true, summary_model: 'informative', summary_type: 'bullets' });
    expect(low.summary).toBe('- Wildfire smoke triggers alerts\n- People stay inside');
    // No transcript text reaches the LLM twice for one section: one call per feature here.
    expect(fake.requests.every((r) => r.temperature === 0)).toBe(true);
  });

  it('on the embedded model: every feature in upstream shape, and the same result for the same audio', { timeout: JOB_MS }, async () => {
    const audio_url = await upload(tiny, file);
    const ask = { audio_url, content_safety: true, content_safety_confidence: 25, iab_categories: true, auto_chapters: true };
    const a = await transcribe(tiny, ask);
    const words = a.words as Words;
    const chapters = a.chapters as Chapter[];
    expect(chapters).toHaveLength(1);
    expect(chapters[0]).toMatchObject({ start: words[0]!.start, end: words.at(-1)!.end });
    for (const k of ['gist', 'headline', 'summary'] as const) expect(typeof chapters[0]![k]).toBe('string');
    expect(chapters[0]!.gist.length).toBeLessThanOrEqual(60);
    const safety = a.content_safety_labels as Safety;
    for (const r of safety.results)
      for (const l of r.labels) {
        expect(Object.keys(CONTENT_SAFETY_LABELS)).toContain(l.label);
        expect(l.confidence).toBeGreaterThanOrEqual(0.25);
        expect(l.severity).toBeLessThanOrEqual(1);
      }
    for (const r of (a.iab_categories_result as Topics).results) for (const l of r.labels) expect(IAB_LABELS).toContain(l.label);
    const b = await transcribe(tiny, ask);
    for (const k of ['chapters', 'content_safety_labels', 'iab_categories_result']) expect(b[k]).toEqual(a[k]);
  });

  it('through the Node SDK: summarization as a headline, typed', { timeout: JOB_MS }, async () => {
    const client = new AssemblyAI({ apiKey: tiny.key, baseUrl: tiny.url });
    const t = await client.transcripts.transcribe({ audio: file, summarization: true, summary_model: 'catchy', summary_type: 'headline' });
    expect(t.status, t.error ?? '').toBe('completed');
    expect(t).toMatchObject({ summarization: true, summary_model: 'catchy', summary_type: 'headline' });
    expect(typeof t.summary).toBe('string');
    expect(t.summary!.length).toBeLessThanOrEqual(200);
  });

  it("refuses upstream's impossible combinations by name", async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ summarization: true, auto_chapters: true }, /auto_chapters and summarization cannot both be enabled/],
      [
        { summarization: true, summary_model: 'catchy', summary_type: 'bullets' },
        /summary_model catchy supports .*headline, gist, not bullets/,
      ],
      [{ summarization: true, summary_model: 'conversational' }, /conversational needs speaker_labels or multichannel/],
      [{ content_safety: true, content_safety_confidence: 10 }, /content_safety_confidence must be at least 25/],
    ];
    for (const [extra, message] of cases) {
      const res = await api(tiny, '/v2/transcript', { method: 'POST', json: { audio_url: 'https://example.com/a.mp3', ...extra } });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(message);
    }
  });
});
