import { afterEach, describe, expect, it } from 'vitest';
import { librivoxClips, longSpeech } from '../helpers/librivox.js';
import { api, startServer, transcribeFile, waitForStatus, waitForTranscript, type TestServer } from '../helpers/server.js';

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0).reverse()) await s.destroy();
});

/** SIGTERM; resolves with the exit code and how long the process took to exit. */
async function sigterm(server: TestServer): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  const exited = new Promise<number | null>((resolve) => server.process.once('exit', (code) => resolve(code)));
  server.process.kill('SIGTERM');
  const code = await exited;
  return { code, ms: Date.now() - started };
}

/**
 * A thread cannot be stopped inside a native call, and loading the speech model is one (seconds on a busy
 * machine): the exit-time bound holds once a job's engine is decoding.
 */
const engineLoaded = () => new Promise((r) => setTimeout(r, 5000));

const statusOf = async (server: TestServer, id: string) =>
  ((await (await api(server, `/v2/transcript/${id}`)).json()) as { status: string }).status;

describe('graceful shutdown', () => {
  it('finishes the running job on SIGTERM and exits 0', async () => {
    // A grace far longer than the job: this test is about finishing, the next one about the bound.
    const server = await startServer({
      env: { EARSHOT_CONCURRENCY: '1', EARSHOT_LOG_LEVEL: 'info', EARSHOT_SHUTDOWN_GRACE_SECONDS: '150' },
    });
    servers.push(server);
    const id = await transcribeFile(server, await longSpeech(server.dataDir, 2));
    await waitForStatus(server, id, 'processing');
    const { code } = await sigterm(server);
    expect(code).toBe(0);
    expect(server.output()).toMatch(/shutting down/);

    // The job finished before exit: after a restart it is already complete, not re-run.
    await server.restart();
    expect(await statusOf(server, id)).toBe('completed');
    expect(server.output()).not.toMatch(/re-queued a transcription|handed back/);
    const done = await waitForTranscript(server, id);
    expect((done.words as unknown[]).length).toBeGreaterThan(20);
  }, 300_000);

  it('takes no new work once SIGTERM arrives: new requests are refused, and a queued job waits for the next start', async () => {
    // One engine slot, and a grace long enough for the running job to finish: its slot comes free while the server stops.
    const server = await startServer({
      env: { EARSHOT_CONCURRENCY: '1', EARSHOT_LOG_LEVEL: 'info', EARSHOT_SHUTDOWN_GRACE_SECONDS: '150' },
    });
    servers.push(server);
    const running = await transcribeFile(server, await longSpeech(server.dataDir, 2));
    await waitForStatus(server, running, 'processing');
    const queued = await transcribeFile(server, librivoxClips()[0]!.wav);
    expect(await statusOf(server, queued)).toBe('queued');

    const exit = sigterm(server);
    // Refused while the process still runs: it stopped listening before it stopped.
    let refusedWhileRunning = false;
    while (!refusedWhileRunning && server.process.exitCode === null) {
      const answered = await fetch(new URL('/health', server.url)).then(
        () => true,
        () => false,
      );
      refusedWhileRunning = !answered && server.process.exitCode === null;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(refusedWhileRunning).toBe(true);
    expect((await exit).code).toBe(0);
    const started = (id: string) => new RegExp(`"transcript":"${id}".*"msg":"transcription started"`);
    expect(server.output()).toMatch(started(running));
    expect(server.output()).not.toMatch(started(queued));

    await server.restart();
    expect(await statusOf(server, running)).toBe('completed');
    expect((await waitForTranscript(server, queued)).status).toBe('completed');
  }, 300_000);

  it('exits within EARSHOT_SHUTDOWN_GRACE_SECONDS, handing a long job back without counting it as a lost worker', async () => {
    // One lost worker would end the job: a hand-back that counted as one would show as an error.
    const server = await startServer({
      env: { EARSHOT_CONCURRENCY: '1', EARSHOT_LOG_LEVEL: 'info', EARSHOT_SHUTDOWN_GRACE_SECONDS: '6', EARSHOT_JOB_MAX_ATTEMPTS: '1' },
    });
    servers.push(server);
    const id = await transcribeFile(server, await longSpeech(server.dataDir, 4));
    await waitForStatus(server, id, 'processing');
    await engineLoaded();
    const { code, ms } = await sigterm(server);
    expect(code).toBe(0);
    expect(ms).toBeLessThanOrEqual(6000);
    expect(ms).toBeGreaterThanOrEqual(3000); // it did give the job time before handing it back
    expect(server.output()).toMatch(/transcription handed back to the queue/);

    await server.restart();
    const done = await waitForTranscript(server, id, 150_000);
    expect(done.status).toBe('completed');
    expect(server.output()).not.toMatch(/re-queued a transcription whose worker was lost/);
  }, 240_000);
});

describe('graceful shutdown on a fleet (PostgreSQL, shared data dir)', () => {
  it('hands a running job to another node at once, not after the lease', async () => {
    // A lease far longer than the test: a job that waited for it could not complete in time.
    const env = {
      EARSHOT_CONCURRENCY: '1',
      EARSHOT_LOG_LEVEL: 'info',
      EARSHOT_SHUTDOWN_GRACE_SECONDS: '5',
      EARSHOT_JOB_LEASE_SECONDS: '600',
    };
    const a = await startServer({ storage: 'postgres', env });
    servers.push(a);
    const id = await transcribeFile(a, await longSpeech(a.dataDir, 2));
    await waitForStatus(a, id, 'processing');
    const b = await startServer({ env: { ...env, DATABASE_URL: a.env.DATABASE_URL!, EARSHOT_DATA_DIR: a.dataDir } });
    servers.push(b);
    expect(await statusOf(b, id)).toBe('processing'); // still A's
    await engineLoaded();

    const { code, ms } = await sigterm(a);
    expect(code).toBe(0);
    expect(ms).toBeLessThanOrEqual(5000);
    expect(a.output()).toMatch(/transcription handed back to the queue/);
    const done = await waitForTranscript(b, id, 120_000);
    expect(done.status).toBe('completed');
    expect((done.words as unknown[]).length).toBeGreaterThan(20);
    expect(b.output()).toMatch(/"attempt":2,.*"msg":"transcription started"/);
    expect(b.output()).not.toMatch(/re-queued a transcription whose worker was lost/);
  }, 240_000);
});
