import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { librivoxClips } from '../helpers/librivox.js';
import { api, startServer, transcribeFile, waitForStatus, waitForTranscript, type TestServer } from '../helpers/server.js';

/** An HTTP server that serves /clip.wav, and on /hang accepts the request but never answers. */
async function audioHost(clip: string) {
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    if (req.url === '/clip.wav') res.writeHead(200, { 'content-type': 'audio/wav' }).end(fs.readFileSync(clip));
    // /hang: no answer, ever.
  });
  server.on('connection', (s) => sockets.add(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('hanging audio_url downloads', () => {
  let server: TestServer | undefined;
  let host: Awaited<ReturnType<typeof audioHost>> | undefined;
  afterAll(async () => {
    await server?.destroy();
    await host?.close();
  });

  it('do not hold the engine slots: with two hanging on concurrency 2, uploads and other URLs still complete', async () => {
    const clip = librivoxClips()[0]!.wav;
    host = await audioHost(clip);
    server = await startServer({ env: { EARSHOT_CONCURRENCY: '2', EARSHOT_LOG_LEVEL: 'info' } });
    const create = async (audio_url: string) =>
      ((await (await api(server!, '/v2/transcript', { method: 'POST', json: { audio_url } })).json()) as { id: string }).id;
    const hanging = [await create(`${host.url}/hang`), await create(`${host.url}/hang`)];
    for (const id of hanging) await waitForStatus(server, id, 'processing');

    const upload = await transcribeFile(server, clip);
    const url = await create(`${host.url}/clip.wav`);
    for (const id of [upload, url]) expect((await waitForTranscript(server, id, 60_000)).status).toBe('completed');
    // Both still waiting on their URL: they were never in the way.
    for (const id of hanging)
      expect(((await (await api(server, `/v2/transcript/${id}`)).json()) as { status: string }).status).toBe('processing');

    // Deleting them stops the downloads.
    for (const id of hanging) expect((await api(server, `/v2/transcript/${id}`, { method: 'DELETE' })).status).toBe(200);
    for (const id of hanging) expect((await waitForTranscript(server, id, 10_000)).status).toBe('error');
    await expect.poll(() => server!.output(), { timeout: 10_000 }).toMatch(/transcription cancelled(.|\n)*transcription cancelled/);
    expect(fs.readdirSync(`${server.dataDir}/tmp`)).toEqual([]);
  }, 240_000);
});
