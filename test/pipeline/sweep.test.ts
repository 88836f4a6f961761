import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { api, startServer, waitForStatus, type TestServer } from '../helpers/server.js';

describe('start-up sweep of partial downloads', () => {
  let server: TestServer | undefined;
  let host: http.Server | undefined;
  const sockets = new Set<Socket>();
  afterAll(async () => {
    await server?.destroy();
    for (const s of sockets) s.destroy();
    await new Promise((r) => host?.close(r));
  });

  it('removes the partial download of an attempt killed with kill -9', async () => {
    // Sends the start of a WAV file, then nothing more: the download stays partial.
    host = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': String(10_000_000) });
      res.write(Buffer.alloc(64 * 1024));
    });
    host.on('connection', (s) => sockets.add(s));
    await new Promise<void>((resolve) => host!.listen(0, '127.0.0.1', resolve));
    server = await startServer();
    const tmp = path.join(server.dataDir, 'tmp');
    const audio_url = `http://127.0.0.1:${(host.address() as AddressInfo).port}/stall.wav`;
    const { id } = (await (await api(server, '/v2/transcript', { method: 'POST', json: { audio_url } })).json()) as { id: string };
    await waitForStatus(server, id, 'processing');
    const partial = path.join(tmp, `${id}-1`);
    await expect.poll(() => fs.existsSync(partial) && fs.statSync(partial).size > 0, { timeout: 30_000 }).toBe(true);
    await server.kill();
    expect(fs.existsSync(partial)).toBe(true);

    await server.restart();
    expect(fs.existsSync(partial)).toBe(false);
  }, 240_000);
});
