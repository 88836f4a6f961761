import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { librivoxClips } from '../helpers/librivox.js';
import { api, startServer, waitForTranscript, type TestServer } from '../helpers/server.js';
import { connect, rawAudio } from '../helpers/streaming.js';

/**
 * Decoders starting and stopping in several threads at once, beside batch jobs whose worker threads
 * fork ffmpeg and load decoders of their own. pocketsphinx's log handle was one process-wide FILE*
 * reopened by every decoder's init: two threads racing on it froze the whole process in glibc.
 */
describe('streaming soak', () => {
  let server: TestServer;
  let audio: Buffer;

  beforeAll(async () => {
    server = await startServer({
      storage: 'postgres',
      env: {
        EARSHOT_STREAMING_THREADS: '2',
        EARSHOT_STREAMING_ALLOW_FAST: 'true',
        EARSHOT_STREAMING_MAX_SESSIONS: '30',
        EARSHOT_CONCURRENCY: '2',
      },
    });
    audio = (await rawAudio(librivoxClips()[1]!.wav)).subarray(0, 16_000); // half a second
  });
  afterAll(() => server?.destroy());

  async function session(abrupt: boolean): Promise<void> {
    const s = connect(`${server.url.replace('http', 'ws')}/v3/ws?sample_rate=16000`, { authorization: server.key });
    await s.next((m) => m.type === 'Begin', 120_000);
    if (abrupt) {
      s.ws.terminate();
      await s.closed;
      return;
    }
    for (let i = 0; i < audio.length; i += 3200) s.ws.send(audio.subarray(i, i + 3200));
    s.ws.send(JSON.stringify({ type: 'Terminate' }));
    await s.next((m) => m.type === 'Termination', 120_000);
    expect((await s.closed).code).toBe(1000);
  }

  it('opens and closes many short sessions in rounds beside batch jobs, and the server stays up', async () => {
    const upload = await api(server, '/v2/upload', { method: 'POST', body: fs.readFileSync(librivoxClips()[1]!.wav) });
    const { upload_url } = (await upload.json()) as { upload_url: string };
    const jobs = await Promise.all(
      [0, 1].map(async () => {
        const res = await api(server, '/v2/transcript', { method: 'POST', json: { audio_url: upload_url } });
        return ((await res.json()) as { id: string }).id;
      }),
    );
    for (let round = 0; round < 3; round++) {
      await Promise.all(Array.from({ length: 4 }, (_, i) => session(i % 2 === 1)));
    }
    const done = await Promise.all(jobs.map((id) => waitForTranscript(server, id, 180_000)));
    for (const t of done) expect(t.status).toBe('completed');
    // Same bytes, same options: the same text from both concurrent jobs.
    expect(done[1]!.text).toBe(done[0]!.text);
    expect(server.process.exitCode).toBeNull();
    expect((await api(server, '/v2/transcript?limit=1')).status).toBe(200);
  }, 400_000);
});
