import { afterAll, describe, expect, it } from 'vitest';
import { longSpeech } from '../helpers/librivox.js';
import { startReceiver } from '../helpers/receiver.js';
import { startServer, transcribeFile, waitForStatus, waitForTranscript, type TestServer } from '../helpers/server.js';
import { setDatabaseReachable } from '../status/helpers.js';

describe('the database drops while a transcription runs (PostgreSQL)', () => {
  let server: TestServer | undefined;
  let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
  afterAll(async () => {
    if (server) await setDatabaseReachable(server, true).catch(() => undefined);
    await server?.destroy();
    await receiver?.close();
  });

  it('keeps the process up; the job completes once the database is back, once, with its webhook', async () => {
    receiver = await startReceiver();
    // The outage outlasts the lease: the job's own node must not take its late renewal for a lost worker.
    server = await startServer({
      storage: 'postgres',
      env: { EARSHOT_CONCURRENCY: '1', EARSHOT_JOB_LEASE_SECONDS: '3', EARSHOT_LOG_LEVEL: 'info' },
    });
    const id = await transcribeFile(server, await longSpeech(server.dataDir, 2), { webhook_url: `${receiver.url}/hook` });
    await waitForStatus(server, id, 'processing');
    // Every open connection is cut and new ones are refused, mid-job.
    await setDatabaseReachable(server, false);
    await new Promise((r) => setTimeout(r, 8000));
    expect(server.process.exitCode).toBeNull();
    expect(server.process.signalCode).toBeNull();
    await setDatabaseReachable(server, true);

    const done = await waitForTranscript(server, id, 120_000);
    expect(done.status).toBe('completed');
    expect((done.words as unknown[]).length).toBeGreaterThan(20);
    await receiver.waitFor(() => receiver!.received.length >= 1);
    await new Promise((r) => setTimeout(r, 2000));
    expect(receiver.received.map((r) => r.body)).toEqual([{ transcript_id: id, status: 'completed' }]);
    expect(server.output()).not.toMatch(/re-queued a transcription|result discarded/);
    expect(server.process.exitCode).toBeNull();
  }, 240_000);
});
