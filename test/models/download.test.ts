import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ChecksumError, downloadModel } from '../../src/models/download.js';

const DATA = randomBytes(1_000_000);
const SHA256 = createHash('sha256').update(DATA).digest('hex');

interface Seen {
  path: string;
  headers: IncomingHttpHeaders;
  status: number;
  bytesSent: number;
}

let server: Server;
let base: string;
let dir: string;
let seen: Seen[];

/** Serves DATA with Range support at /model.bin, plus variants that misbehave in one way each. */
function handler(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void {
  const path = req.url ?? '/';
  const log: Seen = { path, headers: req.headers, status: 200, bytesSent: 0 };
  seen.push(log);
  const send = (status: number, headers: Record<string, string | number>, body: Buffer) => {
    log.status = status;
    log.bytesSent = body.length;
    res.writeHead(status, { 'content-length': body.length, ...headers });
    res.end(body);
  };
  if (path === '/redirect') {
    log.status = 302;
    res.writeHead(302, { location: '/cdn/model.bin' }).end();
    return;
  }
  if (path === '/missing.bin') {
    send(404, {}, Buffer.from('not found'));
    return;
  }
  if (path === '/corrupt.bin') {
    const bad = Buffer.from(DATA);
    bad[500_000] ^= 0xff;
    send(200, {}, bad);
    return;
  }
  if (path === '/slow.bin') {
    // Sends the file in small pieces with pauses, so a test can abort part-way.
    log.status = 200;
    res.writeHead(200, { 'content-length': DATA.length });
    let offset = 0;
    const tick = () => {
      if (res.destroyed || offset >= DATA.length) return void res.end();
      res.write(DATA.subarray(offset, offset + 50_000));
      log.bytesSent += Math.min(50_000, DATA.length - offset);
      offset += 50_000;
      setTimeout(tick, 20);
    };
    tick();
    return;
  }
  if (path === '/model.bin' || path === '/cdn/model.bin' || path === '/norange.bin') {
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m && path !== '/norange.bin') {
      const start = Number(m[1]);
      if (start >= DATA.length) {
        send(416, { 'content-range': `bytes */${DATA.length}` }, Buffer.alloc(0));
        return;
      }
      send(206, { 'content-range': `bytes ${start}-${DATA.length - 1}/${DATA.length}` }, DATA.subarray(start));
      return;
    }
    send(200, {}, DATA);
    return;
  }
  send(404, {}, Buffer.alloc(0));
}

beforeAll(async () => {
  server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(async () => {
  seen = [];
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = await mkdtemp(join(tmpdir(), 'earshot-download-'));
});

describe('downloadModel', () => {
  it('downloads the whole file, verifies its sha256 and leaves no .part', async () => {
    const dest = join(dir, 'sub', 'ggml-x.bin');
    const progress: [number, number | undefined][] = [];
    await downloadModel({
      url: `${base}/model.bin`,
      dest,
      expectedSize: DATA.length,
      sha256: SHA256,
      onProgress: (r, t) => progress.push([r, t]),
    });
    expect((await readFile(dest)).equals(DATA)).toBe(true);
    expect(existsSync(`${dest}.part`)).toBe(false);
    expect(seen[0]!.headers.range).toBeUndefined();
    expect(progress.at(-1)).toEqual([DATA.length, DATA.length]);
  });

  it('resumes a .part with a Range request and appends only the missing bytes', async () => {
    const dest = join(dir, 'ggml-x.bin');
    await writeFile(`${dest}.part`, DATA.subarray(0, 300_000));
    const progress: number[] = [];
    await downloadModel({ url: `${base}/model.bin`, dest, expectedSize: DATA.length, sha256: SHA256, onProgress: (r) => progress.push(r) });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers.range).toBe('bytes=300000-');
    expect(seen[0]!.status).toBe(206);
    expect(seen[0]!.bytesSent).toBe(DATA.length - 300_000);
    expect(progress[0]).toBe(300_000); // progress counts the bytes already there
    expect((await readFile(dest)).equals(DATA)).toBe(true);
  });

  it('starts over when the server ignores Range and answers 200', async () => {
    const dest = join(dir, 'ggml-x.bin');
    // A stale .part whose bytes are wrong: appending to it would fail the checksum.
    await writeFile(`${dest}.part`, randomBytes(300_000));
    await downloadModel({ url: `${base}/norange.bin`, dest, expectedSize: DATA.length, sha256: SHA256 });
    expect(seen[0]!.headers.range).toBe('bytes=300000-');
    expect(seen[0]!.status).toBe(200);
    expect((await readFile(dest)).equals(DATA)).toBe(true);
  });

  it('verifies a .part that is already complete without downloading again', async () => {
    const dest = join(dir, 'ggml-x.bin');
    await writeFile(`${dest}.part`, DATA);
    await downloadModel({ url: `${base}/model.bin`, dest, expectedSize: DATA.length, sha256: SHA256 });
    expect(seen).toHaveLength(0);
    expect((await readFile(dest)).equals(DATA)).toBe(true);
  });

  it('treats a 416 answer for a complete .part of unknown size as done', async () => {
    const dest = join(dir, 'ggml-x.bin');
    await writeFile(`${dest}.part`, DATA);
    await downloadModel({ url: `${base}/model.bin`, dest, sha256: SHA256 });
    expect(seen[0]!.status).toBe(416);
    expect((await readFile(dest)).equals(DATA)).toBe(true);
  });

  it('throws on a checksum mismatch and leaves neither the file nor the .part', async () => {
    const dest = join(dir, 'ggml-x.bin');
    const err = await downloadModel({ url: `${base}/corrupt.bin`, dest, expectedSize: DATA.length, sha256: SHA256 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ChecksumError);
    expect((err as Error).message).toMatch(/Checksum mismatch .* expected sha256 [0-9a-f]{64}, got [0-9a-f]{64}/);
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('follows redirects and sends the Range header to the redirect target', async () => {
    const dest = join(dir, 'ggml-x.bin');
    await writeFile(`${dest}.part`, DATA.subarray(0, 123_456));
    await downloadModel({ url: `${base}/redirect`, dest, expectedSize: DATA.length, sha256: SHA256 });
    expect(seen.map((s) => [s.path, s.status])).toEqual([
      ['/redirect', 302],
      ['/cdn/model.bin', 206],
    ]);
    expect(seen[1]!.headers.range).toBe('bytes=123456-');
    expect((await readFile(dest)).equals(DATA)).toBe(true);
  });

  it('keeps the .part when aborted, and a later call resumes from it', async () => {
    const dest = join(dir, 'ggml-x.bin');
    const controller = new AbortController();
    const first = downloadModel({
      url: `${base}/slow.bin`,
      dest,
      expectedSize: DATA.length,
      sha256: SHA256,
      signal: controller.signal,
      onProgress: (r) => r >= 200_000 && controller.abort(),
    });
    await expect(first).rejects.toThrow(/abort/i);
    const partial = (await stat(`${dest}.part`)).size;
    expect(partial).toBeGreaterThan(0); // bytes counted but still in flight at the abort are not written
    expect(partial).toBeLessThan(DATA.length);
    expect(existsSync(dest)).toBe(false);

    await downloadModel({ url: `${base}/model.bin`, dest, expectedSize: DATA.length, sha256: SHA256 });
    expect(seen.at(-1)!.headers.range).toBe(`bytes=${partial}-`);
    expect((await readFile(dest)).equals(DATA)).toBe(true);
  });

  it('rejects when the server size disagrees with the expected size', async () => {
    const dest = join(dir, 'ggml-x.bin');
    await expect(downloadModel({ url: `${base}/model.bin`, dest, expectedSize: DATA.length + 1, sha256: SHA256 })).rejects.toThrow(
      /server reports 1000000 bytes/,
    );
    expect(existsSync(dest)).toBe(false);
  });

  it('reports an HTTP error status', async () => {
    await expect(downloadModel({ url: `${base}/missing.bin`, dest: join(dir, 'ggml-x.bin') })).rejects.toThrow(/HTTP 404/);
  });
});
