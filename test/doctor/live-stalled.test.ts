import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/doctor/finding.js';
import { runDoctor } from '../../src/doctor/runner.js';
import { librivoxClips } from '../helpers/librivox.js';
import { tinyLlmEnv } from '../helpers/llm.js';
import { api, runCli, startServer, type TestServer } from '../helpers/server.js';

/**
 * An API-only Earshot (EARSHOT_WORKERS=false) with no worker anywhere: transcripts stay queued, so
 * LeMUR is asked about a transcript that is not completed, and the lifecycle check sees one stuck.
 */
const find = (f: Finding[], code: string) => {
  const hit = f.find((x) => x.code === code);
  if (!hit) throw new Error(`${code} not in ${JSON.stringify(f.map((x) => x.code))}`);
  return hit;
};

describe('earshot doctor against an Earshot whose transcripts never leave the queue', () => {
  let server: TestServer;
  let id: string;

  beforeAll(async () => {
    server = await startServer({ env: { ...tinyLlmEnv(1024), EARSHOT_WORKERS: 'false' } });
    const up = await api(server, '/v2/upload', { method: 'POST', body: fs.readFileSync(librivoxClips()[0]!.wav) });
    const { upload_url } = (await up.json()) as { upload_url: string };
    ({ id } = (await (await api(server, '/v2/transcript', { method: 'POST', json: { audio_url: upload_url } })).json()) as { id: string });
  });
  afterAll(() => server?.destroy());

  it('LeMUR before completion: the live endpoint answers 400 naming the status; the fix is to wait for completed', async () => {
    const r = await runDoctor({ baseUrl: server.url, apiKey: server.key, transcriptId: id, lemur: true, checks: ['auth', 'lemur'] });
    const f = find(r.findings, 'lemur.not_completed');
    expect(f.message).toContain(`(400: Transcript ${id} is not completed (status: queued); LeMUR can only use completed transcripts)`);
    expect(f.evidence).toMatchObject({ transcript_status: 'queued', lemur_status: 400 });
    expect(f.fix).toMatch(/poll until completed\/error, or start LeMUR from the webhook/);
    expect(r.exit_code).toBe(2);
  });

  it('stuck: queued past the threshold, with the typical time and what to check on the server', async () => {
    const { code, stdout } = await runCli(
      ['doctor', '--server', server.url, '--api-key', server.key, '--transcript-id', id, '--stuck-after', '1', '--no-color'],
      process.env,
    );
    expect(code).toBe(2);
    expect(stdout).toMatch(
      new RegExp(
        `✗ lifecycle\\.stuck  Transcript ${id} has been queued for [\\d.]+ s; typical for this length is about \\d+ s \\(a default guess for a CPU server \\(no history yet\\)\\)\\.`,
      ),
    );
    expect(stdout).toContain('fix: No worker is taking jobs: check the server runs workers (EARSHOT_WORKERS=true)');
  });

  it('not stuck yet: still running when the doctor stops waiting, a warning', async () => {
    const r = await runDoctor({
      baseUrl: server.url,
      apiKey: server.key,
      transcriptId: id,
      waitSeconds: 1,
      stuckAfterSeconds: 3_600,
      checks: ['lifecycle'],
    });
    const f = find(r.findings, 'lifecycle.still_running');
    expect(f.severity).toBe('warn');
    expect(f.evidence).toMatchObject({ status: 'queued', timeline: [{ status: 'queued' }] });
  });
});
