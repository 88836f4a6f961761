import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { librivoxClips } from '../helpers/librivox.js';
import { startReceiver } from '../helpers/receiver.js';
import { api, STORAGE_MODES, startServer, waitForTranscript, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);

/** About a minute of speech: long enough to be killed mid-transcription. */
async function longAudio(dir: string): Promise<string> {
  const out = path.join(dir, 'long.wav');
  const clips = librivoxClips().map((c) => c.wav);
  await run('sox', [...clips, ...clips, ...clips, ...clips, out]);
  return out;
}

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
    const audio = await longAudio(server.dataDir);
    const up = await api(server, '/v2/upload', { method: 'POST', body: fs.readFileSync(audio) });
    const { upload_url } = (await up.json()) as { upload_url: string };
    const created = await api(server, '/v2/transcript', { method: 'POST', json: { audio_url: upload_url, webhook_url: `${receiver.url}/hook` } });
    const { id } = (await created.json()) as { id: string };

    for (let i = 0; ; i++) {
      const t = (await (await api(server, `/v2/transcript/${id}`)).json()) as { status: string };
      if (t.status === 'processing') break;
      expect(t.status).toBe('queued');
      if (i > 300) throw new Error('never started processing');
      await new Promise((r) => setTimeout(r, 50));
    }
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
    expect(server.output()).toMatch(/re-queued a transcription whose worker was lost/);
    // A minute of audio decoded once in part and once in full, on two cores: 50 s is usual.
  }, 180_000);
});
