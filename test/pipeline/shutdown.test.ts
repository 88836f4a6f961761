import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { librivoxClips } from '../helpers/librivox.js';
import { api, startServer, waitForTranscript, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);

describe('graceful shutdown', () => {
  let server: TestServer | undefined;
  afterAll(() => server?.destroy());

  it('finishes the running job on SIGTERM and exits 0', async () => {
    server = await startServer({ env: { EARSHOT_CONCURRENCY: '1', EARSHOT_LOG_LEVEL: 'info' } });
    const audio = path.join(server.dataDir, 'medium.wav');
    const clips = librivoxClips().map((c) => c.wav);
    await run('sox', [...clips, ...clips, audio]);
    const up = await api(server, '/v2/upload', { method: 'POST', body: fs.readFileSync(audio) });
    const { upload_url } = (await up.json()) as { upload_url: string };
    const { id } = (await (await api(server, '/v2/transcript', { method: 'POST', json: { audio_url: upload_url } })).json()) as { id: string };
    for (let i = 0; i < 300; i++) {
      const t = (await (await api(server, `/v2/transcript/${id}`)).json()) as { status: string };
      if (t.status === 'processing') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const exited = new Promise<number | null>((resolve) => server!.process.once('exit', (code) => resolve(code)));
    server.process.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(server.output()).toMatch(/shutting down/);

    // The job finished before exit: after a restart it is already complete, not re-run.
    await server.restart();
    const t = (await (await api(server, `/v2/transcript/${id}`)).json()) as { status: string };
    expect(t.status).toBe('completed');
    expect(server.output()).not.toMatch(/re-queued a transcription/);
    const done = await waitForTranscript(server, id);
    expect((done.words as unknown[]).length).toBeGreaterThan(20);
  });
});
