import { afterEach, describe, expect, it } from 'vitest';
import { librivoxClips, longSpeech } from '../helpers/librivox.js';
import { startReceiver } from '../helpers/receiver.js';
import { api, startServer, transcribeFile, waitForStatus, waitForTranscript, type TestServer } from '../helpers/server.js';

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0).reverse()) await s.destroy();
});

/** DELETE while the job runs on `runner`, asked of `api` (the same node, or another one of the fleet). */
async function deleteWhileProcessing(apiNode: TestServer, runner: TestServer, id: string): Promise<void> {
  await waitForStatus(apiNode, id, 'processing');
  const del = await api(apiNode, `/v2/transcript/${id}`, { method: 'DELETE' });
  expect(del.status).toBe(200);
  expect(await del.json()).toMatchObject({ id, audio_url: 'http://deleted_by_user', text: 'Deleted by user.' });
  // The running decode stops: the engine slot (concurrency 1) is free for the next job long before the
  // minute of audio would have been decoded.
  await expect.poll(() => runner.output(), { timeout: 20_000, interval: 200 }).toMatch(/transcription cancelled/);
  for (const node of [apiNode, runner]) {
    const t = (await (await api(node, `/v2/transcript/${id}`)).json()) as Record<string, unknown>;
    expect(t).toMatchObject({ id, status: 'error', audio_url: 'http://deleted_by_user', text: 'Deleted by user.' });
  }
}

describe('DELETE during processing', () => {
  it('cancels the running job; it reads as deleted, fires no webhook, and the slot takes the next job', async () => {
    const receiver = await startReceiver();
    try {
      const server = await startServer({ env: { EARSHOT_CONCURRENCY: '1', EARSHOT_LOG_LEVEL: 'info', EARSHOT_JOB_LEASE_SECONDS: '3' } });
      servers.push(server);
      const id = await transcribeFile(server, await longSpeech(server.dataDir, 4), { webhook_url: `${receiver.url}/hook` });
      const next = await transcribeFile(server, librivoxClips()[0]!.wav);
      await deleteWhileProcessing(server, server, id);
      expect((await waitForTranscript(server, next, 60_000)).status).toBe('completed');
      // Several lease periods later: no re-queue loop, no webhook, still deleted.
      await new Promise((r) => setTimeout(r, 4000));
      expect(server.output()).not.toMatch(/re-queued a transcription/);
      expect(receiver.received).toHaveLength(0);
      expect(((await (await api(server, `/v2/transcript/${id}`)).json()) as { text: string }).text).toBe('Deleted by user.');
    } finally {
      await receiver.close();
    }
  }, 300_000);

  it('on a fleet, a DELETE on an API-only node stops the job on the worker node', async () => {
    const worker = await startServer({ storage: 'postgres', env: { EARSHOT_CONCURRENCY: '1', EARSHOT_LOG_LEVEL: 'info' } });
    servers.push(worker);
    const apiNode = await startServer({ env: { DATABASE_URL: worker.env.DATABASE_URL!, EARSHOT_WORKERS: 'false' } });
    servers.push(apiNode);
    // Uploaded where it is decoded: with local disks an upload is readable only on the node that took it.
    const id = await transcribeFile(worker, await longSpeech(worker.dataDir, 4));
    await deleteWhileProcessing(apiNode, worker, id);
  }, 180_000);
});
