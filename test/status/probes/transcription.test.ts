import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpegConvert, librivoxClips } from '../../helpers/librivox.js';
import { api, startServer, waitForTranscript, type TestServer } from '../../helpers/server.js';
import { fastStatusEnv, operator, queryDatabase, waitFor } from '../helpers.js';

async function submit(server: TestServer, file: string): Promise<string> {
  const up = await api(server, '/v2/upload', { method: 'POST', body: readFileSync(file) });
  const { upload_url } = (await up.json()) as { upload_url: string };
  const created = await api(server, '/v2/transcript', { method: 'POST', json: { audio_url: upload_url } });
  return ((await created.json()) as { id: string }).id;
}

/**
 * The transcription probe is a real job, queued behind user jobs: with one worker busy, a probe
 * queued first still runs after user jobs queued later (pg-boss takes the highest priority first).
 */
describe('transcription probe: never ahead of user jobs', () => {
  let server: TestServer;
  let dir: string;
  let long: string;
  const short = librivoxClips()[1]!.wav;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'earshot-probe-'));
    // About 25 s of speech: a job that keeps the only worker busy for a while.
    const [head, ...rest] = librivoxClips().map((c) => c.wav);
    long = await ffmpegConvert(head!, path.join(dir, 'long.wav'), [
      ...rest.flatMap((w) => ['-i', w]),
      '-filter_complex',
      `concat=n=${rest.length + 1}:v=0:a=1`,
    ]);
    // The probe waits behind three user jobs (10–15 s on two cores): more than fastStatusEnv's 15 s timeout allows for.
    server = await startServer({
      storage: 'postgres',
      env: fastStatusEnv({ EARSHOT_STATUS_PROBE_SECONDS: '3600', EARSHOT_STATUS_PROBE_TIMEOUT_SECONDS: '90', EARSHOT_CONCURRENCY: '1' }),
    });
  });

  afterAll(async () => {
    await server?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs after user jobs queued after it', async () => {
    const first = await submit(server, long);
    await waitFor(
      'the first job to run',
      async () => (await (await api(server, `/v2/transcript/${first}`)).json()) as { status: string },
      (t) => t.status === 'processing',
    );
    const probe = operator(server, '/status/probe');
    const [probeJob] = await waitFor(
      'the probe job in the queue',
      () =>
        queryDatabase<{ id: string }>(
          server,
          "select t.id from transcripts t join projects p on p.id = t.project_id where p.name = 'earshot-status-probes'",
        ),
      (rows) => rows.length === 1,
    );
    const later = [await submit(server, short), await submit(server, short)];
    const { results } = (await (await probe).json()) as { results: Record<string, { observed: string; message: string }> };
    expect(results.transcription!.observed).toBe('operational');
    // It waited its turn, and its latency is its own run.
    expect(results.transcription!.message).toMatch(/waited \d+\.\d s in the queue, ran \d+ ms/);
    for (const id of [first, ...later]) expect((await waitForTranscript(server, id)).status).toBe('completed');

    const done = await queryDatabase<{ id: string; completed_at: Date }>(
      server,
      'select id, completed_at from transcripts where id = any($1::uuid[])',
      [[first, probeJob!.id, ...later]],
    );
    const at = (id: string) => done.find((d) => d.id === id)!.completed_at.getTime();
    for (const id of later) expect(at(id)).toBeLessThan(at(probeJob!.id));
    // The probe cleaned up after itself: its transcript is deleted, its upload gone.
    const [row] = await queryDatabase<{ deleted_at: Date | null; upload_id: string }>(
      server,
      'select deleted_at, upload_id from transcripts where id = $1',
      [probeJob!.id],
    );
    expect(row!.deleted_at).not.toBeNull();
    expect(await queryDatabase(server, 'select 1 from uploads where id = $1', [row!.upload_id])).toEqual([]);
  });
});
