import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { AssemblyAI, type TranscribeParams } from 'assemblyai';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BEEP_AMPLITUDE, BEEP_HZ } from '../../src/audio/redact.js';
import { startReceiver } from '../helpers/receiver.js';
import { startS3, type TestS3 } from '../helpers/s3.js';
import { api, startServer, waitForTranscript, type TestServer } from '../helpers/server.js';
import { validateSchema } from '../helpers/openapi.js';

const run = promisify(execFile);
const JOB_MS = 240_000;

/**
 * Speech with an amount and an organisation that pocketsphinx hears right from espeak-ng ("It cost 20
 * dollars … microsoft.": the words between it may mishear). Spoken digits and names come out of espeak-ng too garbled
 * for pocketsphinx; they are covered on formatted engine words in test/understanding/pii/.
 */
async function speech(dir: string): Promise<string> {
  const raw = path.join(dir, 'raw.wav');
  const out = path.join(dir, 'speech.wav');
  await run('espeak-ng', ['-v', 'en-gb-x-rp', '-s', '140', '-w', raw, 'it cost twenty dollars and the company is microsoft']);
  await run('sox', ['-R', raw, '-r', '16000', '-c', '1', '-b', '16', out, 'pad', '0.3', '0.5']);
  return out;
}

/** 16-bit mono samples of a file, decoded by ffmpeg (Debian's sox reads no MP3). */
async function samples(file: string, dir: string): Promise<Int16Array> {
  const raw = path.join(dir, `${path.basename(file)}.raw`);
  await run('ffmpeg', ['-v', 'error', '-y', '-i', file, '-f', 's16le', '-ac', '1', '-ar', '16000', raw]);
  const b = fs.readFileSync(raw);
  return new Int16Array(b.buffer, b.byteOffset, b.length / 2);
}

type Word = { text: string; start: number; end: number };

describe('PII redaction end to end (PostgreSQL, S3 blob store)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-pii-'));
  let s3: TestS3;
  let server: TestServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let file: string;
  let uploadUrl: string;

  beforeAll(async () => {
    file = await speech(dir);
    s3 = await startS3();
    receiver = await startReceiver();
    // Debug logs: the check that no PII reaches them must see everything the server says.
    server = await startServer({ storage: 'postgres', env: { ...s3.env(), EARSHOT_LOG_LEVEL: 'debug' } });
    const res = await api(server, '/v2/upload', { method: 'POST', body: fs.readFileSync(file) });
    uploadUrl = ((await res.json()) as { upload_url: string }).upload_url;
  }, 120_000);
  afterAll(async () => {
    await server?.destroy();
    await receiver?.close();
    await s3?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function transcribe(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const res = await api(server, '/v2/transcript', { method: 'POST', json: { audio_url: uploadUrl, ...body } });
    expect(res.status, await res.clone().text()).toBe(200);
    const t = await waitForTranscript(server, ((await res.json()) as { id: string }).id, JOB_MS - 10_000);
    expect(t.error ?? null).toBeNull();
    return t;
  }

  it('refuses what it cannot honour, naming it', async () => {
    const post = async (json: Record<string, unknown>) => {
      const res = await api(server, '/v2/transcript', { method: 'POST', json: { audio_url: uploadUrl, ...json } });
      return { status: res.status, error: ((await res.json()) as { error: string }).error };
    };
    expect(await post({ redact_pii: true })).toEqual({
      status: 400,
      error: 'redact_pii_policies must be a non-empty list of PII policies when redact_pii is true',
    });
    expect(await post({ redact_pii: true, redact_pii_policies: ['phone_number', 'drug', 'injury'] })).toEqual({
      status: 400,
      error: 'PII redaction cannot detect these policies on this Earshot server: drug, injury',
    });
    expect(await post({ redact_pii: true, redact_pii_policies: ['phone_numbers'] })).toEqual({
      status: 400,
      error: 'redact_pii_policies: "phone_numbers" is not a PII policy',
    });
    expect((await post({ redact_pii_audio: true })).error).toBe('redact_pii_audio requires redact_pii');
    expect(
      (
        await post({
          redact_pii: true,
          redact_pii_policies: ['person_name'],
          redact_pii_audio_options: { override_audio_redaction_method: 'beep' },
        })
      ).error,
    ).toBe('redact_pii_audio_options.override_audio_redaction_method must be one of: silence');
  });

  it('entity_detection: upstream entity types with their text and times', { timeout: JOB_MS }, async () => {
    const t = await transcribe({ entity_detection: true });
    expect(t.text).toMatch(/^It cost 20 dollars .+ microsoft\.$/);
    expect(t.entity_detection).toBe(true);
    const entities = t.entities as { entity_type: string; text: string; start: number; end: number }[];
    for (const e of entities) validateSchema('Entity', e);
    const words = t.words as Word[];
    const byText = (s: string) => words.find((w) => w.text.replace(/\W+$/, '') === s)!;
    expect(entities).toEqual([
      { entity_type: 'money_amount', text: '20 dollars', start: byText('20').start, end: byText('dollars').end },
      { entity_type: 'organization', text: 'microsoft', start: byText('microsoft').start, end: byText('microsoft').end },
    ]);
    expect(t.redact_pii).toBe(false);
  });

  it('redact_pii with entity_name reaches text, words, sentences, paragraphs, subtitles, search, entities, database and logs; the redacted WAV beeps exactly over them', {
    timeout: JOB_MS,
  }, async () => {
    const res = await api(server, '/v2/transcript', {
      method: 'POST',
      json: {
        audio_url: uploadUrl,
        redact_pii: true,
        redact_pii_policies: ['money_amount', 'organization', 'phone_number'],
        redact_pii_sub: 'entity_name',
        redact_pii_audio: true,
        redact_pii_audio_quality: 'wav',
        entity_detection: true,
        webhook_url: `${receiver.url}/hook`,
      },
    });
    const { id } = (await res.json()) as { id: string };
    const t = await waitForTranscript(server, id, JOB_MS - 10_000);
    expect(t.status).toBe('completed');
    expect(t.text).toMatch(/^It cost \[MONEY_AMOUNT\] .+ \[ORGANIZATION\]\.$/);
    expect(t).toMatchObject({ redact_pii: true, redact_pii_audio: true, redact_pii_audio_quality: 'wav', redact_pii_sub: 'entity_name' });
    validateSchema('Transcript', t);
    const words = t.words as Word[];
    expect(words.filter((w) => w.text.startsWith('[')).map((w) => w.text)).toEqual(['[MONEY_AMOUNT]', '[ORGANIZATION].']);
    expect((t.entities as { text: string }[]).map((e) => e.text)).toEqual(['[MONEY_AMOUNT]', '[ORGANIZATION]']);

    const get = async (p: string) => {
      const r = await api(server, `/v2/transcript/${id}${p}`);
      expect(r.status, p).toBe(200);
      return r.text();
    };
    // (Before the word search below, whose URL, with the words searched for, is in the access log.)
    expect(server.output()).toContain(id);
    expect(server.output().toLowerCase()).not.toMatch(/microsoft|dollars/);
    for (const p of ['/sentences', '/paragraphs', '/srt', '/vtt']) {
      const body = await get(p);
      expect(body, p).toContain('[ORGANIZATION]');
      expect(body.toLowerCase(), p).not.toMatch(/microsoft|dollars/);
    }
    const search = JSON.parse(await get('/word-search?words=microsoft,dollars,cost')) as { matches: { text: string; count: number }[] };
    expect(search.matches.map((m) => [m.text, m.count])).toEqual([
      ['microsoft', 0],
      ['dollars', 0],
      ['cost', 1],
    ]);

    // Nothing unredacted is stored.
    const db = new pg.Client({ connectionString: server.env.DATABASE_URL });
    await db.connect();
    try {
      const { rows } = await db.query<{ row: string }>('select t::text as row from transcripts t where id = $1', [id]);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.row).toContain('[ORGANIZATION]');
      expect(rows[0]!.row.toLowerCase()).not.toMatch(/microsoft|dollars/);
    } finally {
      await db.end();
    }

    // The redacted audio: upstream's body, a URL that needs no key, the original's length, a tone exactly over the redacted words.
    const ready = (await (await api(server, `/v2/transcript/${id}/redacted-audio`)).json()) as {
      status: string;
      redacted_audio_url: string;
    };
    validateSchema('RedactedAudioResponse', ready);
    expect(ready.status).toBe('redacted_audio_ready');
    const audio = await fetch(ready.redacted_audio_url);
    expect(audio.status).toBe(200);
    expect(audio.headers.get('content-type')).toBe('audio/wav');
    const redactedFile = path.join(dir, 'redacted.wav');
    fs.writeFileSync(redactedFile, Buffer.from(await audio.arrayBuffer()));
    const [original, redacted] = await Promise.all([samples(file, dir), samples(redactedFile, dir)]);
    expect(redacted.length).toBe(original.length);
    const spans = words.filter((w) => w.text.startsWith('[')).map((w) => [Math.floor(w.start * 16), Math.ceil(w.end * 16)] as const);
    expect(spans).toHaveLength(2);
    const inSpan = (i: number) => spans.some(([a, b]) => i >= a && i < b);
    let beeped = 0;
    for (let i = 0; i < original.length; i++) {
      if (!inSpan(i)) {
        if (redacted[i] !== original[i]) throw new Error(`sample ${i} outside the redacted spans changed`);
        continue;
      }
      expect(
        Math.abs(redacted[i]! - Math.round(BEEP_AMPLITUDE * 32767 * Math.sin((2 * Math.PI * BEEP_HZ * i) / 16000))),
      ).toBeLessThanOrEqual(1);
      beeped++;
    }
    expect(beeped).toBe(spans.reduce((n, [a, b]) => n + b - a, 0));
    // sox agrees: the span is a 1 kHz tone at the beep's level.
    const [a, b] = spans[1]!;
    const { stderr } = await run('sox', ['-R', redactedFile, '-n', 'trim', `${a}s`, `${b - a}s`, 'stat']);
    expect(Number(/Rough\s+frequency:\s+(\d+)/.exec(stderr)![1])).toBeGreaterThan(950);
    expect(Number(/Rough\s+frequency:\s+(\d+)/.exec(stderr)![1])).toBeLessThan(1050);
    expect(Number(/Maximum amplitude:\s+([\d.]+)/.exec(stderr)![1])).toBeCloseTo(BEEP_AMPLITUDE, 2);

    // In the shared store, served by the route on any node; the webhooks: the transcript's, then upstream's RedactedAudioNotification.
    expect(await s3.keys()).toContain(`earshot/redacted/${id}.wav`);
    await receiver.waitFor(() => receiver.to('/hook').length >= 2);
    const notices = receiver.to('/hook').map((r) => r.body as Record<string, unknown>);
    expect(notices).toContainEqual({ transcript_id: id, status: 'completed' });
    expect(notices).toContainEqual({ status: 'redacted_audio_ready', redacted_audio_url: ready.redacted_audio_url });

    // A wrong token opens nothing; deleting the transcript removes the file.
    expect((await fetch(ready.redacted_audio_url.replace(/token=./, 'token=x'))).status).toBe(404);
    expect((await api(server, `/v2/transcript/${id}`, { method: 'DELETE' })).status).toBe(200);
    expect(await s3.keys()).not.toContain(`earshot/redacted/${id}.wav`);
    expect((await fetch(ready.redacted_audio_url)).status).toBe(404);
  });

  it('the Node SDK: hash substitution, silence instead of a beep, an MP3 of the original length', { timeout: JOB_MS }, async () => {
    const client = new AssemblyAI({ apiKey: server.key, baseUrl: server.url });
    // The SDK's types lack redact_pii_audio_options (upstream's spec has it); it sends the params as given.
    const params: TranscribeParams & { redact_pii_audio_options: object } = {
      audio: file,
      redact_pii: true,
      redact_pii_policies: ['organization'],
      redact_pii_sub: 'hash',
      redact_pii_audio: true,
      redact_pii_audio_options: { override_audio_redaction_method: 'silence' },
    };
    const t = await client.transcripts.transcribe(params);
    expect((t as { redact_pii_audio_options?: unknown }).redact_pii_audio_options).toEqual({ override_audio_redaction_method: 'silence' });
    expect(t.status).toBe('completed');
    expect(t.text).toMatch(/^It cost 20 dollars .+ #########\.$/);
    const { status, redacted_audio_url } = await client.transcripts.redactedAudio(t.id);
    expect(status).toBe('redacted_audio_ready');
    expect(redacted_audio_url).toMatch(new RegExp(`/v2/transcript/${t.id}/redacted-audio/${t.id}\\.mp3\\?token=`));
    const blob = await (await client.transcripts.redactedAudioFile(t.id)).blob();
    expect(blob.type).toBe('audio/mpeg');
    const mp3 = path.join(dir, 'redacted.mp3');
    fs.writeFileSync(mp3, Buffer.from(await blob.arrayBuffer()));
    const [original, redacted] = await Promise.all([samples(file, dir), samples(mp3, dir)]);
    // LAME's header records its padding, so the decoded length is the original's to the sample.
    expect(redacted.length).toBe(original.length);
    const word = t.words!.find((w) => w.text.startsWith('#'))!;
    // Silence inside (a few ms in from the edges, where the codec smears), speech outside it.
    const inner = redacted.subarray(word.start * 16 + 80, word.end * 16 - 80);
    expect(Math.max(...inner.map(Math.abs))).toBeLessThan(300);
    const before = original.subarray(word.start * 16 + 80, word.end * 16 - 80);
    expect(Math.max(...before.map(Math.abs))).toBeGreaterThan(3000);
  });

  it('no redacted audio for a transcript that did not ask for it', async () => {
    const res = await api(server, '/v2/transcript', { method: 'POST', json: { audio_url: uploadUrl } });
    const { id } = (await res.json()) as { id: string };
    const r = await api(server, `/v2/transcript/${id}/redacted-audio`);
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: string }).error).toBe(
      'Redacted audio is not available for this transcript: it was not requested with redact_pii_audio',
    );
  });
});
