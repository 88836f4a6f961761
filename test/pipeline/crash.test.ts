import { afterAll, describe, expect, it } from 'vitest';
import { longSpeech } from '../helpers/librivox.js';
import { startReceiver } from '../helpers/receiver.js';
import { api, STORAGE_MODES, startServer, transcribeFile, waitForStatus, waitForTranscript, type TestServer } from '../helpers/server.js';

const count = (text: string, pattern: RegExp) => text.match(new RegExp(pattern, 'g'))?.length ?? 0;

describe.each(STORAGE_MODES)('kill -9 mid-transcription (%s)', (storage) => {
  let server: TestServer | undefined;
  let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
  afterAll(async () => {
    await server?.destroy();
    await receiver?.close();
  });

  it('completes the transcript after a restart, once, and fires its webhook', async () => {
    receiver = await startReceiver();
    // A short lease so a fleet would notice the dead worker quickly too.
    server = await startServer({ storage, env: { EARSHOT_JOB_LEASE_SECONDS: '4', EARSHOT_CONCURRENCY: '1' } });
    // About a minute of speech: long enough to be killed mid-transcription.
    const id = await transcribeFile(server, await longSpeech(server.dataDir, 4), { webhook_url: `${receiver.url}/hook` });
    await waitForStatus(server, id, 'processing');
    await new Promise((r) => setTimeout(r, 500));
    await server.kill();
    expect(receiver.received).toHaveLength(0);

    await server.restart();
    const done = await waitForTranscript(server, id, 120_000);
    expect(done.status).toBe('completed');
    expect((done.words as unknown[]).length).toBeGreaterThan(50);
    await receiver.waitFor(() => receiver!.received.length >= 1);
    // Give a duplicate a chance to show up: there must be none.
    await new Promise((r) => setTimeout(r, 2000));
    expect(receiver.received.map((r) => r.body)).toEqual([{ transcript_id: id, status: 'completed' }]);
    expect(count(server.output(), /re-queued a transcription whose worker was lost/)).toBe(1);
    // A minute of audio decoded once in part and once in full, on two cores: 50 s is usual.
  }, 180_000);
});

describe.each(STORAGE_MODES)('a job that kills its server at every attempt (%s)', (storage) => {
  let server: TestServer | undefined;
  let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
  afterAll(async () => {
    await server?.destroy();
    await receiver?.close();
  });

  it('ends in error after EARSHOT_JOB_MAX_ATTEMPTS lost workers, fires its webhook once, and stops re-queueing', async () => {
    receiver = await startReceiver();
    server = await startServer({
      storage,
      env: { EARSHOT_JOB_LEASE_SECONDS: '2', EARSHOT_CONCURRENCY: '1', EARSHOT_JOB_MAX_ATTEMPTS: '2' },
    });
    const id = await transcribeFile(server, await longSpeech(server.dataDir, 4), { webhook_url: `${receiver.url}/hook` });
    // The fault: the process dies (kill -9) whenever this job runs, as an out-of-memory kill would.
    for (let attempt = 1; attempt <= 2; attempt++) {
      // On PostgreSQL the dead attempt still reads "processing" until its lease runs out and it is re-queued.
      while (count(server.output(), /re-queued a transcription whose worker was lost/) < attempt - 1)
        await new Promise((r) => setTimeout(r, 100));
      await waitForStatus(server, id, 'processing', 120_000);
      await server.kill();
      await server.restart();
    }
    const done = await waitForTranscript(server, id, 60_000);
    expect(done.status).toBe('error');
    expect(done.error).toBe(
      'Transcription failed: the worker processing this file stopped 2 times; the file may be too long or malformed. Please check the file and submit it again.',
    );
    await receiver.waitFor(() => receiver!.received.length >= 1);
    // Three lease periods more: no duplicate webhook, and the job is not picked up again.
    await new Promise((r) => setTimeout(r, 6000));
    expect(receiver.received.map((r) => r.body)).toEqual([{ transcript_id: id, status: 'error' }]);
    const out = server.output();
    expect(count(out, /re-queued a transcription whose worker was lost/)).toBe(1);
    expect(count(out, /its worker was lost too many times/)).toBe(1);
    expect(((await (await api(server, `/v2/transcript/${id}`)).json()) as { status: string }).status).toBe('error');
  }, 300_000);
});
