import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { safeDownload } from '../../src/net/fetch.js';
import { makeToneMp3, startPythonHttpServer, type LocalServer } from '../helpers/local-http.js';

const SIZES_MB = [1, 3, 10];

let tmp: string;
let server: LocalServer;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'earshot-pyhttp-'));
  for (const mb of SIZES_MB) await makeToneMp3(path.join(tmp, `tone-${mb}mb.mp3`), mb * 1_000_000);
  server = await startPythonHttpServer(tmp);
});

afterAll(async () => {
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

// undici 6 and 7 died here with an uncatchable `assert(!this.paused)` once the file outgrew its buffers (~2 MB).
describe("downloads from Python's http.server, which closes the connection after the body", () => {
  it.each(SIZES_MB)('downloads a %i MB mp3 whole', async (mb) => {
    const source = path.join(tmp, `tone-${mb}mb.mp3`);
    const dest = path.join(tmp, `download-${mb}`);
    const out = await safeDownload(`${server.url}/tone-${mb}mb.mp3`, dest, {
      publicMode: false,
      timeoutMs: 60_000,
      maxBytes: 50_000_000,
      maxRedirects: 5,
    });
    expect(out.bytes).toBe(mb * 1_000_000);
    expect(out.contentType).toBe('audio/mpeg');
    expect(sha(dest)).toBe(sha(source));
  });
});
