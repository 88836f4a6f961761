import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { LookupAddress } from 'node:dns';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DownloadError, PostJsonError, safeDownload, safePostJson, type DownloadOptions } from '../../src/net/fetch.js';
import type { GuardPolicy } from '../../src/net/guard.js';
import { unconnectableServer } from '../helpers/local-http.js';

const BODY = Buffer.from('RIFF'.padEnd(1000, 'x'));

interface Hit {
  method: string;
  path: string;
  rawHeaders: string[];
  body: string;
}

let server: http.Server;
let port: number;
let base: string;
let hits: Hit[] = [];
let tmp: string;
let dest: string;

/** Sends `total` bytes in chunks of `size`, without Content-Length (chunked encoding). */
function streamChunks(res: http.ServerResponse, total: number, size = 100): void {
  res.writeHead(200, { 'content-type': 'audio/wav' });
  let sent = 0;
  const next = () => {
    if (sent >= total) return void res.end();
    const n = Math.min(size, total - sent);
    sent += n;
    res.write(Buffer.alloc(n, 0x61), () => setImmediate(next));
  };
  next();
}

function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url!, 'http://x');
  const q = url.searchParams;
  const p = url.pathname;
  if (p === '/ok') {
    res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': BODY.length });
    res.end(BODY);
  } else if (p === '/chunked') {
    streamChunks(res, Number(q.get('n')));
  } else if (p === '/declared-huge') {
    // Claims 10 MB, sends a little, then hangs: only the Content-Length check can end this quickly.
    res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': 10_000_000 });
    res.write(Buffer.alloc(10));
  } else if (p === '/stall-headers') {
    // never answers
  } else if (p === '/stall-body') {
    res.writeHead(200, { 'content-type': 'audio/wav' });
    res.write(Buffer.alloc(500, 0x62));
  } else if (p === '/slow-body') {
    // 10 chunks 100 ms apart: slower in total than the idle limit the test sets, never silent for as long.
    res.writeHead(200, { 'content-type': 'audio/wav' });
    let sent = 0;
    const tick = setInterval(() => {
      res.write(Buffer.alloc(100, 0x63));
      if (++sent === 10) clearInterval(tick), res.end();
    }, 100);
  } else if (p === '/missing') {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not here');
  } else if (p.startsWith('/hops/')) {
    // /hops/3 → /hops/2 → /hops/1 → /hops/0 → /ok, with relative Locations
    const n = Number(p.slice('/hops/'.length));
    res.writeHead(n % 2 ? 302 : 301, { location: n === 0 ? '/ok' : `${n - 1}` });
    res.end();
  } else if (p === '/to') {
    res.writeHead(Number(q.get('status') ?? 302), { location: q.get('url')! });
    res.end();
  } else if (p === '/post') {
    res.writeHead(Number(q.get('status') ?? 200), { 'content-type': 'text/plain' });
    res.end('reply body');
  } else if (p === '/post-redirect') {
    res.writeHead(307, { location: '/post' });
    res.end();
  } else if (p === '/post-stall') {
    // never answers
  } else {
    res.writeHead(500);
    res.end();
  }
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      hits.push({ method: req.method!, path: new URL(req.url!, 'http://x').pathname, rawHeaders: req.rawHeaders, body });
      handle(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  tmp = mkdtempSync(path.join(os.tmpdir(), 'earshot-fetch-'));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(tmp, { recursive: true, force: true });
});

let counter = 0;
beforeEach(() => {
  hits = [];
  dest = path.join(tmp, `download-${++counter}`);
});

const PRIVATE: DownloadOptions = { publicMode: false, timeoutMs: 5_000, maxBytes: 10_000, maxRedirects: 5 };

/** The DownloadError a download fails with. */
async function failure(url: string, opts: Partial<DownloadOptions> = {}): Promise<DownloadError> {
  const err = await safeDownload(url, dest, { ...PRIVATE, ...opts }).then(
    () => expect.unreachable('download should have failed'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DownloadError);
  return err as DownloadError;
}

describe('safeDownload (private mode)', () => {
  it('downloads to the destination and reports bytes, content type and final URL', async () => {
    const out = await safeDownload(`${base}/ok`, dest, PRIVATE);
    expect(out).toEqual({ bytes: BODY.length, contentType: 'audio/wav', finalUrl: `${base}/ok` });
    expect(readFileSync(dest)).toEqual(BODY);
  });

  it('reaches localhost and 127.0.0.1', async () => {
    expect((await safeDownload(`http://localhost:${port}/ok`, dest, PRIVATE)).bytes).toBe(BODY.length);
    expect(hits.map((h) => h.path)).toEqual(['/ok']);
  });

  it('streams a chunked body with no Content-Length', async () => {
    const out = await safeDownload(`${base}/chunked?n=2500`, dest, PRIVATE);
    expect(out.bytes).toBe(2500);
    expect(readFileSync(dest).length).toBe(2500);
  });

  it('accepts a body of exactly maxBytes', async () => {
    expect((await safeDownload(`${base}/ok`, dest, { ...PRIVATE, maxBytes: BODY.length })).bytes).toBe(BODY.length);
  });

  it('refuses by Content-Length before reading the body', async () => {
    const started = Date.now();
    const err = await failure(`${base}/declared-huge`, { maxBytes: 1_000_000, timeoutMs: 10_000 });
    expect(err.reason).toBe('too large');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(existsSync(dest)).toBe(false);
  });

  it('refuses by Content-Length one byte over the limit', async () => {
    expect((await failure(`${base}/ok`, { maxBytes: BODY.length - 1 })).reason).toBe('too large');
    expect(existsSync(dest)).toBe(false);
  });

  it('stops a streamed body at maxBytes and removes the partial file', async () => {
    const err = await failure(`${base}/chunked?n=50000`, { maxBytes: 1000 });
    expect(err.reason).toBe('too large');
    expect(existsSync(dest)).toBe(false);
  });

  it('gives up at the deadline when no response comes', async () => {
    const started = Date.now();
    const err = await failure(`${base}/stall-headers`, { timeoutMs: 300 });
    expect(err.reason).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(existsSync(dest)).toBe(false);
  });

  it('gives up at the deadline mid-body and removes the partial file', async () => {
    const err = await failure(`${base}/stall-body`, { timeoutMs: 500 });
    expect(err.reason).toBe('timeout');
    expect(existsSync(dest)).toBe(false);
  });

  it('turns an HTTP error status into "http <status>" with upstream\'s message', async () => {
    const url = `${base}/missing`;
    const err = await failure(url);
    expect(err.reason).toBe('http 404');
    expect(err.url).toBe(url);
    expect(err.message).toBe(
      `Download error, unable to download ${url}. Please make sure the file exists and is accessible from the internet.`,
    );
    expect(existsSync(dest)).toBe(false);
  });

  it('removes a file left at the destination when the download fails', async () => {
    writeFileSync(dest, 'stale partial data');
    await failure(`${base}/missing`);
    expect(existsSync(dest)).toBe(false);
  });

  it('follows redirects (relative Locations, 301 and 302) up to maxRedirects', async () => {
    const out = await safeDownload(`${base}/hops/3`, dest, { ...PRIVATE, maxRedirects: 4 });
    expect(out.finalUrl).toBe(`${base}/ok`);
    expect(out.bytes).toBe(BODY.length);
    expect(hits.map((h) => h.path)).toEqual(['/hops/3', '/hops/2', '/hops/1', '/hops/0', '/ok']);
  });

  it.each([303, 307, 308])('follows a %i redirect', async (status) => {
    const out = await safeDownload(`${base}/to?status=${status}&url=${encodeURIComponent(`${base}/ok`)}`, dest, PRIVATE);
    expect(out.finalUrl).toBe(`${base}/ok`);
  });

  it('refuses one redirect more than maxRedirects', async () => {
    const err = await failure(`${base}/hops/3`, { maxRedirects: 3 });
    expect(err.reason).toBe('too many redirects');
    expect(hits.map((h) => h.path)).toEqual(['/hops/3', '/hops/2', '/hops/1', '/hops/0']);
    expect(existsSync(dest)).toBe(false);
  });

  it('refuses any redirect with maxRedirects 0', async () => {
    expect((await failure(`${base}/hops/0`, { maxRedirects: 0 })).reason).toBe('too many redirects');
  });

  it('refuses non-HTTP schemes, given or redirected to', async () => {
    expect((await failure('file:///etc/passwd')).reason).toBe('unsupported scheme file:');
    expect((await failure(`${base}/to?url=${encodeURIComponent('file:///etc/passwd')}`)).reason).toBe('unsupported scheme file:');
    expect((await failure('not a url')).reason).toBe('invalid url');
  });

  it('reports a refused connection as a network error', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect((await failure(`http://127.0.0.1:${closedPort}/ok`)).reason).toBe('network error: ECONNREFUSED');
  });

  it('gives up on a server that accepts and never answers at the headers limit, before the deadline', async () => {
    const started = Date.now();
    const err = await failure(`${base}/stall-headers`, { timeoutMs: 30_000, headersTimeoutMs: 300 });
    expect(err.reason).toBe('headers timeout');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('gives up on a body that stalls at the idle limit and removes the partial file', async () => {
    const started = Date.now();
    const err = await failure(`${base}/stall-body`, { timeoutMs: 30_000, idleTimeoutMs: 300 });
    expect(err.reason).toBe('idle timeout');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(existsSync(dest)).toBe(false);
  });

  it('lets a slow body that never goes silent outlast the idle limit', async () => {
    const out = await safeDownload(`${base}/slow-body`, dest, { ...PRIVATE, idleTimeoutMs: 400 });
    expect(out.bytes).toBe(1000);
  });

  it('gives up on a connection that is never established at the connect limit', async () => {
    const host = await unconnectableServer();
    try {
      const started = Date.now();
      const err = await failure(`${host.url}/audio.mp3`, { timeoutMs: 30_000, connectTimeoutMs: 300, headersTimeoutMs: 30_000 });
      expect(err.reason).toBe('connect timeout');
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await host.close();
    }
  });

  it("names a file it cannot write by its error code only, not as the URL's fault", async () => {
    const inMissingDir = path.join(tmp, 'no-such-dir', 'download');
    const err = await safeDownload(`${base}/ok`, inMissingDir, PRIVATE).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(DownloadError);
    expect((err as Error).message).toBe('could not write the downloaded audio: ENOENT');
  });

  it("rethrows the caller's own abort instead of a DownloadError", async () => {
    const controller = new AbortController();
    const reason = new Error('shutting down');
    setTimeout(() => controller.abort(reason), 100);
    await expect(safeDownload(`${base}/stall-headers`, dest, { ...PRIVATE, signal: controller.signal })).rejects.toBe(reason);
    expect(existsSync(dest)).toBe(false);
  });
});

describe('safeDownload of malformed responses', () => {
  let raw: net.Server;
  let rawBase: string;
  const HEAD = 'HTTP/1.1 200 OK\r\ncontent-type: audio/mpeg\r\n';
  /** What the raw server does with a request for each path: write these bytes, then end or reset. */
  const scripts: Record<string, { bytes: string | Buffer; after: 'end' | 'reset' | 'stay' }> = {
    '/truncated': { bytes: `${HEAD}content-length: 5000\r\n\r\n${'a'.repeat(1000)}`, after: 'end' },
    '/garbage': { bytes: 'HELLO THERE\r\n\r\n', after: 'end' },
    '/bad-chunk': { bytes: `${HEAD}transfer-encoding: chunked\r\n\r\nzz\r\nabc\r\n`, after: 'end' },
    '/reset': { bytes: `${HEAD}content-length: 5000\r\n\r\n${'a'.repeat(1000)}`, after: 'reset' },
    // nodejs/undici#5360's case: the whole body and the FIN at once.
    // The whole body, then the connection stays open: the idle limit fires after the download is done.
    '/body-keep-open': { bytes: `${HEAD}content-length: 1000\r\n\r\n${'a'.repeat(1000)}`, after: 'stay' },
    '/body-then-fin': {
      bytes: Buffer.concat([Buffer.from(`${HEAD}content-length: 65536\r\nconnection: close\r\n\r\n`), Buffer.alloc(65536, 1)]),
      after: 'end',
    },
  };

  beforeAll(async () => {
    raw = net.createServer((socket) => {
      socket.once('data', (d: Buffer) => {
        const script = scripts[/^GET (\S+)/.exec(d.toString())?.[1] ?? ''];
        if (!script) return void socket.destroy();
        socket.write(script.bytes, () => {
          if (script.after === 'end') socket.end();
          else if (script.after === 'reset') socket.resetAndDestroy();
        });
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    rawBase = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise((resolve) => raw.close(resolve)));

  it.each([
    ['/truncated', 'network error: ECONNRESET'],
    ['/garbage', 'network error: HPE_INVALID_CONSTANT'],
    ['/bad-chunk', 'network error: ECONNRESET'],
    ['/reset', 'network error: ECONNRESET'],
  ])('fails only its own download on %s', async (pathname, reason) => {
    expect((await failure(`${rawBase}${pathname}`)).reason).toBe(reason);
    expect(existsSync(dest)).toBe(false);
    // The process and its next download are unharmed.
    expect((await safeDownload(`${base}/ok`, dest, PRIVATE)).bytes).toBe(BODY.length);
  });

  it('survives its idle limit firing after a body whose connection stays open', async () => {
    const out = await safeDownload(`${rawBase}/body-keep-open`, dest, { ...PRIVATE, idleTimeoutMs: 100 });
    expect(out.bytes).toBe(1000);
    await new Promise((r) => setTimeout(r, 400)); // an unhandled late 'error' would fail the run here
    expect((await safeDownload(`${base}/ok`, dest, PRIVATE)).bytes).toBe(BODY.length);
  });

  it('reads a body that arrives together with the end of the connection', async () => {
    const out = await safeDownload(`${rawBase}/body-then-fin`, dest, { ...PRIVATE, maxBytes: 100_000 });
    expect(out.bytes).toBe(65536);
  });
});

/**
 * Public mode with an injected resolver: `allowed.test` stands for a public host. It resolves
 * to the local test server, whose address only the allow-list exempts (for that name only).
 */
const table: Record<string, LookupAddress[]> = {
  'allowed.test': [{ address: '127.0.0.1', family: 4 }],
  'internal.test': [{ address: '127.0.0.1', family: 4 }],
  'metadata.test': [{ address: '169.254.169.254', family: 4 }],
  'intranet.test': [{ address: '10.20.30.40', family: 4 }],
};
const guard: GuardPolicy = {
  resolve: async (h) => table[h] ?? [],
  allow: (address, hostname) => hostname === 'allowed.test' && address === '127.0.0.1',
};
const PUBLIC: DownloadOptions = { ...PRIVATE, publicMode: true, guard };

describe('safeDownload (public mode)', () => {
  const allowed = () => `http://allowed.test:${port}`;

  it('downloads from an allowed host through the injected resolver', async () => {
    const out = await safeDownload(`${allowed()}/ok`, dest, PUBLIC);
    expect(out).toMatchObject({ bytes: BODY.length, finalUrl: `${allowed()}/ok` });
    expect(readFileSync(dest)).toEqual(BODY);
  });

  it.each([
    ['127.0.0.1', () => `http://127.0.0.1:${port}/ok`],
    ['10.1.2.3', () => 'http://10.1.2.3/audio.wav'],
    ['169.254.169.254', () => 'http://169.254.169.254/latest/meta-data/'],
    ['::1', () => `http://[::1]:${port}/ok`],
    ['::ffff:7f00:1', () => `http://[::ffff:127.0.0.1]:${port}/ok`],
    ['127.0.0.1', () => `http://internal.test:${port}/ok`],
    ['169.254.169.254', () => 'http://metadata.test/latest/meta-data/'],
    ['10.20.30.40', () => 'http://intranet.test/audio.wav'],
  ])('refuses forbidden address %s', async (address, url) => {
    const err = await failure(url(), PUBLIC);
    expect(err.reason).toBe(`forbidden address ${address}`);
    expect(hits).toEqual([]);
    expect(existsSync(dest)).toBe(false);
  });

  it('refuses 127.0.0.1 without the allow-list even for the "allowed" name', async () => {
    const err = await failure(`${allowed()}/ok`, { ...PUBLIC, guard: { resolve: guard.resolve } });
    expect(err.reason).toBe('forbidden address 127.0.0.1');
    expect(hits).toEqual([]);
  });

  it('refuses a redirect from an allowed host to a forbidden literal', async () => {
    const err = await failure(`${allowed()}/to?url=${encodeURIComponent(`http://127.0.0.1:${port}/ok`)}`, PUBLIC);
    expect(err.reason).toBe('forbidden address 127.0.0.1');
    expect(hits.map((h) => h.path)).toEqual(['/to']);
    expect(existsSync(dest)).toBe(false);
  });

  it('refuses a redirect from an allowed host to a name resolving to a forbidden address', async () => {
    for (const [target, address] of [
      [`http://internal.test:${port}/ok`, '127.0.0.1'],
      ['http://metadata.test/latest/meta-data/iam', '169.254.169.254'],
    ]) {
      hits = [];
      const err = await failure(`${allowed()}/to?url=${encodeURIComponent(target!)}`, PUBLIC);
      expect(err.reason).toBe(`forbidden address ${address}`);
      expect(hits.map((h) => h.path)).toEqual(['/to']);
    }
  });

  it('follows redirects that stay on allowed hosts', async () => {
    const out = await safeDownload(`${allowed()}/to?url=${encodeURIComponent(`${allowed()}/hops/1`)}`, dest, PUBLIC);
    expect(out.finalUrl).toBe(`${allowed()}/ok`);
    expect(hits.map((h) => h.path)).toEqual(['/to', '/hops/1', '/hops/0', '/ok']);
  });
});

function header(hit: Hit, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < hit.rawHeaders.length; i += 2) if (hit.rawHeaders[i]!.toLowerCase() === name) out.push(hit.rawHeaders[i + 1]!);
  return out;
}

describe('safePostJson', () => {
  const NET = { publicMode: false, timeoutMs: 5_000 };

  it("POSTs the body as JSON with the caller's headers and returns the status", async () => {
    const payload = { transcript_id: 'abc', status: 'completed' };
    const out = await safePostJson(`${base}/post?status=201`, payload, { 'x-webhook-secret': 's3cret' }, NET);
    expect(out.status).toBe(201);
    expect(out.durationMs).toBeGreaterThanOrEqual(0);
    expect(hits).toHaveLength(1);
    const [hit] = hits;
    expect(hit!.method).toBe('POST');
    expect(JSON.parse(hit!.body)).toEqual(payload);
    expect(header(hit!, 'content-type')).toEqual(['application/json']);
    expect(header(hit!, 'x-webhook-secret')).toEqual(['s3cret']);
  });

  it('returns error statuses instead of throwing', async () => {
    expect((await safePostJson(`${base}/post?status=500`, {}, {}, NET)).status).toBe(500);
    expect((await safePostJson(`${base}/post?status=404`, {}, {}, NET)).status).toBe(404);
  });

  it('does not let a caller header replace or add a content-type', async () => {
    await safePostJson(
      `${base}/post`,
      { a: 1 },
      { 'Content-Type': 'text/plain', 'CONTENT-TYPE': 'application/x-www-form-urlencoded' },
      NET,
    );
    expect(header(hits[0]!, 'content-type')).toEqual(['application/json']);
  });

  it('does not follow redirects', async () => {
    const out = await safePostJson(`${base}/post-redirect`, { a: 1 }, {}, NET);
    expect(out.status).toBe(307);
    expect(hits.map((h) => h.path)).toEqual(['/post-redirect']);
  });

  it('throws PostJsonError with reason "timeout" when no response comes in time', async () => {
    const started = Date.now();
    const err = await safePostJson(`${base}/post-stall`, {}, {}, { ...NET, timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PostJsonError);
    expect((err as PostJsonError).reason).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('refuses forbidden targets in public mode without sending anything', async () => {
    for (const [url, address] of [
      [`${base}/post`, '127.0.0.1'],
      [`http://internal.test:${port}/post`, '127.0.0.1'],
      ['http://metadata.test/post', '169.254.169.254'],
      ['http://10.0.0.1/hook', '10.0.0.1'],
    ]) {
      const err = await safePostJson(url!, {}, {}, { ...NET, publicMode: true, guard }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PostJsonError);
      expect((err as PostJsonError).reason).toBe(`forbidden address ${address}`);
    }
    expect(hits).toEqual([]);
  });

  it('delivers to an allowed host in public mode', async () => {
    const out = await safePostJson(`http://allowed.test:${port}/post?status=204`, { ok: true }, {}, { ...NET, publicMode: true, guard });
    expect(out.status).toBe(204);
    expect(hits).toHaveLength(1);
  });

  it('reports invalid URLs and schemes', async () => {
    expect(await safePostJson('ftp://example.com/x', {}, {}, NET).catch((e: PostJsonError) => e.reason)).toBe('unsupported scheme ftp:');
    expect(await safePostJson('::nonsense', {}, {}, NET).catch((e: PostJsonError) => e.reason)).toBe('invalid url');
  });
});
