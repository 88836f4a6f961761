import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeToneMp3, startPythonHttpServer, type LocalServer } from '../helpers/local-http.js';
import { api, startServer, waitForTranscript, type TestServer } from '../helpers/server.js';

/** `audio_url`s against a real `earshot serve`: ordinary files complete, servers that stall fail their own transcript only. */

const SIZES_MB = [1, 3, 10];
const SECONDS = 8;
const LIMIT_MS = 1_000;

let tmp: string;
let files: LocalServer;
let stalling: http.Server;
let stallingUrl: string;
let server: TestServer;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'earshot-audio-url-'));
  for (const mb of SIZES_MB) await makeToneMp3(path.join(tmp, `tone-${mb}mb.mp3`), mb * 1_000_000, SECONDS);
  files = await startPythonHttpServer(tmp);
  stalling = http.createServer((req, res) => {
    if (req.url === '/stall-body') {
      res.writeHead(200, { 'content-type': 'audio/mpeg' });
      res.write(Buffer.alloc(1000));
    } // else: accepts and never answers
  });
  await new Promise<void>((resolve) => stalling.listen(0, '127.0.0.1', resolve));
  stallingUrl = `http://127.0.0.1:${(stalling.address() as AddressInfo).port}`;
  server = await startServer({
    storage: 'postgres', // starts faster than PGlite on a busy machine; storage plays no part here
    env: { EARSHOT_DOWNLOAD_HEADERS_TIMEOUT_MS: String(LIMIT_MS), EARSHOT_DOWNLOAD_IDLE_TIMEOUT_MS: String(LIMIT_MS) },
  });
}, 180_000);

afterAll(async () => {
  await server?.destroy();
  await files?.close();
  stalling?.closeAllConnections();
  await new Promise((resolve) => stalling?.close(resolve));
  rmSync(tmp, { recursive: true, force: true });
});

async function transcribe(audioUrl: string): Promise<Record<string, unknown>> {
  const res = await api(server, '/v2/transcript', { method: 'POST', json: { audio_url: audioUrl } });
  expect(res.status).toBe(200);
  const { id } = (await res.json()) as { id: string };
  return waitForTranscript(server, id, 120_000);
}

describe("audio_url on Python's http.server", () => {
  it('completes 1, 3 and 10 MB mp3s, all at once, and the server lives on', async () => {
    const done = await Promise.all(SIZES_MB.map((mb) => transcribe(`${files.url}/tone-${mb}mb.mp3`)));
    for (const t of done) {
      expect(t.status).toBe('completed');
      expect(t.audio_duration).toBeCloseTo(SECONDS, 0);
    }
    expect(server.process.exitCode).toBeNull();
    expect((await api(server, '/v2/transcript?limit=1')).status).toBe(200);
  }, 180_000);
});

describe('audio_url on a server that stalls', () => {
  const downloadError = (url: string) =>
    `Download error, unable to download ${url}. Please make sure the file exists and is accessible from the internet.`;

  it.each([
    ['never answers', '/never'],
    ['sends headers, then nothing', '/stall-body'],
  ])(
    'fails the transcript within the configured limit when it %s',
    async (_what, pathname) => {
      const url = `${stallingUrl}${pathname}`;
      const started = Date.now();
      const t = await transcribe(url);
      expect(t).toMatchObject({ status: 'error', error: downloadError(url) });
      // The limit (1 s) plus queue polling and a busy machine; far below the 10-minute total limit.
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(server.output()).not.toContain(tmp);
      expect(server.output()).not.toContain(server.dataDir);
    },
    60_000,
  );
});
