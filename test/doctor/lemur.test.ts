import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../src/doctor/runner.js';

/**
 * A small server that answers like upstream AssemblyAI did for LeMUR: POST /lemur/v3/generate/task
 * refuses a transcript that is not completed with a 400 naming its status. The live-server
 * version of these cases is in live-private.test.ts.
 */
const TRANSCRIPTS: Record<string, Record<string, unknown>> = {
  queued: { id: 'queued', status: 'queued', text: null, audio_duration: null },
  failed: { id: 'failed', status: 'error', error: 'Audio duration is too short.', text: null },
  short: { id: 'short', status: 'completed', text: 'he was not an ill disposed young man', audio_duration: 3 },
  long: { id: 'long', status: 'completed', text: 'word '.repeat(200_000), audio_duration: 40_000 },
};

describe('LeMUR, against an upstream-like server', () => {
  let server: http.Server;
  let base: string;
  let lemurExists = true;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (d) => (raw += d));
      req.on('end', () => {
        const json = (status: number, body: unknown) =>
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        if (req.headers.authorization !== 'k') return json(401, { error: 'Authentication error, API token missing/invalid' });
        const t = /^\/v2\/transcript\/(\w+)$/.exec(req.url ?? '');
        if (t)
          return TRANSCRIPTS[t[1]!]
            ? json(200, TRANSCRIPTS[t[1]!])
            : json(400, { error: 'Transcript lookup error, transcript id not found' });
        if (req.url === '/lemur/v3/generate/task' && lemurExists) {
          const body = JSON.parse(raw || '{}') as { transcript_ids?: string[] };
          if (!body.transcript_ids) return json(400, { error: 'transcript_ids or input_text is required' });
          const tr = TRANSCRIPTS[body.transcript_ids[0]!]!;
          if (tr.status !== 'completed') return json(400, { error: `Transcript ${tr.id} is not completed (status: ${tr.status})` });
          return json(200, { request_id: 'r', response: 'OK', usage: { input_tokens: 1, output_tokens: 1 } });
        }
        json(404, { error: 'Not found' });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const lemur = async (transcriptId: string | null, extra: Record<string, unknown> = {}) =>
    (await runDoctor({ baseUrl: base, apiKey: 'k', lemur: true, transcriptId, checks: ['lemur'], ...extra })).findings;

  it('a transcript still queued: not completed, quoting the 400 that names its status, fix: wait for completed', async () => {
    const [f] = await lemur('queued');
    expect(f!.code).toBe('lemur.not_completed');
    expect(f!.message).toContain('400: Transcript queued is not completed (status: queued)');
    expect(f!.fix).toMatch(/only after the transcript reaches "completed"/);
  });

  it('a failed transcript, a completed one that fits, one over the context', async () => {
    expect((await lemur('failed'))[0]!.code).toBe('lemur.transcript_failed');
    const ready = (await lemur('short'))[0]!;
    expect(ready.code).toBe('lemur.ready');
    expect(ready.evidence).toMatchObject({ context_tokens: 200_000 });
    const over = (await lemur('long'))[0]!;
    expect(over.code).toBe('lemur.context_exceeded');
    expect(over.message).toMatch(/about 250000 tokens; the context holds 200000/);
    expect(over.fix).toMatch(/input_text/);
    expect((await lemur('short', { lemurContextTokens: 10 }))[0]!.code).toBe('lemur.context_exceeded');
  });

  it('no LeMUR endpoint: unavailable', async () => {
    lemurExists = false;
    try {
      const [f] = await lemur('short');
      expect(f!.code).toBe('lemur.unavailable');
    } finally {
      lemurExists = true;
    }
  });
});
