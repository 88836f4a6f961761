import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { AssemblyAI } from 'assemblyai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wordErrorRate } from '../../src/text/wer.js';
import { validateSchema } from '../helpers/openapi.js';
import { librivoxClips } from '../helpers/librivox.js';
import { api, STORAGE_MODES, startServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const clip = librivoxClips()[0];

/** The curl commands from AssemblyAI's quick start, unchanged apart from host and key. */
async function curl(args: string[]): Promise<{ status: number; body: string }> {
  const { stdout } = await run('curl', ['-sS', '-w', '\n%{http_code}', ...args]);
  const i = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(i + 1)), body: stdout.slice(0, i) };
}

describe.each(STORAGE_MODES)('AssemblyAI clients against a running server (%s)', (storage) => {
  let server: TestServer;
  let client: AssemblyAI;

  beforeAll(async () => {
    server = await startServer({ storage });
    client = new AssemblyAI({ apiKey: server.key, baseUrl: server.url });
  });
  afterAll(async () => {
    if (process.env.EARSHOT_TEST_SHOW_OUTPUT) console.log(server?.output());
    await server?.destroy();
  });

  it('runs the documented curl flow: upload, create, poll to completed', async () => {
    const up = await curl([
      '-X',
      'POST',
      `${server.url}/v2/upload`,
      '-H',
      `authorization: ${server.key}`,
      '-H',
      'content-type: application/octet-stream',
      '--data-binary',
      `@${clip.wav}`,
    ]);
    expect(up.status).toBe(200);
    const { upload_url } = JSON.parse(up.body);
    validateSchema('UploadedFile', { upload_url });
    expect(upload_url).toMatch(new RegExp(`^${server.url}/`));

    const created = await curl([
      '-X',
      'POST',
      `${server.url}/v2/transcript`,
      '-H',
      `authorization: ${server.key}`,
      '-H',
      'content-type: application/json',
      '-d',
      JSON.stringify({ audio_url: upload_url }),
    ]);
    expect(created.status).toBe(200);
    const queued = JSON.parse(created.body);
    validateSchema('Transcript', queued);
    expect(queued.status).toBe('queued');
    expect(queued.audio_url).toBe(upload_url);

    const seen = new Set<string>();
    let t: Record<string, unknown> = queued;
    for (let i = 0; i < 600 && t.status !== 'completed' && t.status !== 'error'; i++) {
      const got = await curl([`${server.url}/v2/transcript/${queued.id}`, '-H', `authorization: ${server.key}`]);
      expect(got.status).toBe(200);
      t = JSON.parse(got.body);
      validateSchema('Transcript', t);
      seen.add(t.status as string);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(t.status).toBe('completed');
    expect(seen.has('processing') || seen.has('queued')).toBe(true);
    expect(t.speech_model_used).toBe('pocketsphinx-en-us');
    expect(wordErrorRate(clip.reference, t.text as string)).toBeLessThan(0.5);
    expect(t.audio_duration).toBe(Math.round(Number(t.audio_duration)));
  });

  it('transcribes a local file with transcripts.transcribe() and returns words with timings', async () => {
    const t = await client.transcripts.transcribe({ audio: clip.wav }, { pollingInterval: 200 });
    validateSchema('Transcript', t);
    expect(t.status).toBe('completed');
    expect(t.error).toBeUndefined();
    expect(t.words!.length).toBeGreaterThan(5);
    for (const w of t.words!) {
      expect(w.end).toBeGreaterThan(w.start);
      expect(w.confidence).toBeGreaterThanOrEqual(0);
    }
    expect(t.text!.split(' ').length).toBe(t.words!.length);
    expect(t.confidence).toBeGreaterThan(0);
    expect(t.language_code).toBe('en_us');
    expect(t.audio_duration).toBeGreaterThan(2);
    // format_text defaults on: capitalised, end punctuation.
    expect(t.text![0]).toMatch(/[A-Z]/);
    expect(t.text!.trim()).toMatch(/[.?!]$/);
  });

  it('submits, gets, exports sentences, paragraphs, srt, vtt and searches words', async () => {
    const submitted = await client.transcripts.submit({
      audio: clip.wav,
      speech_models: ['universal'] as never,
      punctuate: false,
      format_text: false,
    });
    expect(submitted.status).toBe('queued');
    expect((submitted as unknown as { speech_models: string[] }).speech_models).toEqual(['universal']);
    const t = await client.transcripts.waitUntilReady(submitted.id, { pollingInterval: 200 });
    validateSchema('Transcript', t);
    expect(t.punctuate).toBe(false);
    expect(t.text).toBe(t.words!.map((w) => w.text).join(' '));

    const sentences = await client.transcripts.sentences(t.id);
    validateSchema('SentencesResponse', sentences);
    expect(sentences.id).toBe(t.id);
    expect(sentences.sentences.flatMap((s) => s.words).length).toBe(t.words!.length);

    const paragraphs = await client.transcripts.paragraphs(t.id);
    validateSchema('ParagraphsResponse', paragraphs);
    expect(paragraphs.paragraphs.length).toBeGreaterThan(0);

    const srt = await client.transcripts.subtitles(t.id, 'srt');
    expect(srt).toMatch(/^1\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\n/);
    const vtt = await client.transcripts.subtitles(t.id, 'vtt', 20);
    expect(vtt.startsWith('WEBVTT')).toBe(true);
    for (const block of vtt.split('\n\n').slice(1).filter(Boolean)) {
      const text = block.split('\n').slice(1).join(' ');
      if (text.includes(' ')) expect(text.length).toBeLessThanOrEqual(20 + 15); // one long word may overflow a caption
    }

    const word = t.words![1].text;
    const search = await client.transcripts.wordSearch(t.id, [word]);
    validateSchema('WordSearchResponse', search);
    expect(search.total_count).toBeGreaterThanOrEqual(1);
    expect(search.matches[0].text).toBe(word.toLowerCase());
    expect(search.matches[0].indexes).toContain(1);
  });

  it('lists with limit and follows prev_url / next_url pages', async () => {
    for (let i = 0; i < 3; i++) await client.transcripts.submit({ audio_url: `${server.url}/v2/upload/never-${i}` });
    const all = await client.transcripts.list({ limit: 200 });
    // The SDK turns dates into Date objects; validate the wire JSON itself.
    validateSchema('TranscriptList', await (await api(server, '/v2/transcript?limit=3')).json());
    const total = all.transcripts.length;
    expect(total).toBeGreaterThanOrEqual(5);

    const ids: string[] = [];
    let page = await client.transcripts.list({ limit: 2 });
    expect(page.page_details.limit).toBe(2);
    expect(page.page_details.current_url).toMatch(/^http:\/\//);
    for (;;) {
      ids.push(...page.transcripts.map((t) => t.id));
      if (!page.page_details.prev_url) break;
      expect(page.page_details.prev_url).toMatch(new RegExp(`^${server.url}/v2/transcript\\?`));
      page = await client.transcripts.list(page.page_details.prev_url);
    }
    expect(ids).toEqual(all.transcripts.map((t) => t.id));
    expect(new Set(ids).size).toBe(total);

    // after_id pages towards newer transcripts: the ones just after the cursor, newest first.
    const n = ids.length;
    const oldest = await client.transcripts.list({ limit: 2, after_id: ids[n - 1] } as never);
    expect(oldest.transcripts.map((t) => t.id)).toEqual([ids[n - 3], ids[n - 2]]);
    expect(oldest.page_details.prev_url).toBeTruthy();
    const newest = await client.transcripts.list({ limit: 2, after_id: ids[1] } as never);
    expect(newest.transcripts.map((t) => t.id)).toEqual([ids[0]]);
    expect(newest.page_details.next_url).toBeNull();

    const errors = await client.transcripts.list({ status: 'error', limit: 200 });
    for (const t of errors.transcripts) expect(t.status).toBe('error');
    const today = new Date().toISOString().slice(0, 10);
    const todays = await client.transcripts.list({ created_on: today, limit: 200 });
    expect(todays.transcripts.length).toBe(total);
  });

  it('deletes a transcript: text scrubbed, audio_url replaced, upload removed', async () => {
    const t = await client.transcripts.transcribe({ audio: clip.wav }, { pollingInterval: 200 });
    const uploadPath = new URL(t.audio_url).pathname;
    const deleted = await client.transcripts.delete(t.id);
    validateSchema('Transcript', deleted);
    expect(deleted.text).toBe('Deleted by user.');
    expect(deleted.audio_url).toBe('http://deleted_by_user');
    expect(deleted.words).toBeNull();
    const again = await client.transcripts.get(t.id);
    expect(again.text).toBe('Deleted by user.');
    // The upload is gone: a new transcript of it cannot read the audio.
    const retry = await client.transcripts.transcribe({ audio_url: `${server.url}${uploadPath}` }, { pollingInterval: 200 });
    expect(retry.status).toBe('error');
    await expect(client.transcripts.sentences(t.id)).rejects.toThrow();
  });

  it('reports unreadable audio as an error transcript in upstream words', async () => {
    const file = path.join(server.dataDir, 'not-audio.mp3');
    fs.writeFileSync(file, 'this is a text file pretending to be an mp3\n'.repeat(100));
    const t = await client.transcripts.transcribe({ audio: file }, { pollingInterval: 200 });
    validateSchema('Transcript', t);
    expect(t.status).toBe('error');
    expect(t.error).toMatch(/does not appear to contain audio/);
    await expect(client.transcripts.sentences(t.id)).rejects.toThrow();
  });
});
