import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_ADMIN_URL, api, createTestDatabase, startServer, type TestServer } from '../helpers/server.js';

type ProxyMode = 'open' | 'frozen' | 'cut';

/** A TCP proxy between the server and PostgreSQL: open, frozen (holds every byte: a silent host) or cut. */
async function startDbProxy(
  target: URL,
): Promise<{ url: (db: string) => string; set: (mode: ProxyMode) => void; close: () => Promise<void> }> {
  let mode: ProxyMode = 'open';
  const pairs = new Set<[net.Socket, net.Socket]>();
  const server = net.createServer((client) => {
    if (mode === 'cut') return client.destroy();
    const upstream = net.connect(Number(target.port), target.hostname);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    const end = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
    if (mode === 'frozen') client.pause();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: (db) => `postgres://${target.username}@127.0.0.1:${port}/${db}`,
    set(next) {
      mode = next;
      for (const pair of pairs) {
        if (next === 'cut') pair[0].destroy();
        else
          for (const socket of pair)
            if (next === 'frozen') socket.pause();
            else socket.resume();
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const [client] of pairs) client.destroy();
        server.close(() => resolve());
      }),
  };
}

interface Health {
  status: string;
  error?: string;
  checks: { database: { status: string; error?: string }; disk: { status: string; error?: string; free_bytes?: number } };
}

const health = async (server: TestServer) => {
  const res = await fetch(new URL('/health', server.url));
  return { status: res.status, body: (await res.json()) as Health };
};

async function waitFor<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, ms = 60_000): Promise<T> {
  for (const deadline = Date.now() + ms; ; ) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('/health and the API while PostgreSQL is away', () => {
  let proxy: Awaited<ReturnType<typeof startDbProxy>>;
  let scratch: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: TestServer;

  beforeAll(async () => {
    scratch = await createTestDatabase();
    proxy = await startDbProxy(new URL(POSTGRES_ADMIN_URL));
    server = await startServer({ storage: 'postgres', databaseUrl: proxy.url(new URL(scratch.url).pathname.slice(1)) });
  });
  afterAll(async () => {
    proxy?.set('open');
    await server?.destroy();
    await proxy?.close();
    await scratch?.drop();
  });

  it('is 200 with every check ok while all is well', async () => {
    const { status, body } = await health(server);
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.checks.database.status).toBe('ok');
    expect(body.checks.disk).toMatchObject({ status: 'ok' });
    expect(body.checks.disk.free_bytes).toBeGreaterThan(0);
  });

  it('answers 503 at its deadline when the database goes silent, and 200 once it talks again', async () => {
    proxy.set('frozen');
    const { status, body } = await health(server);
    expect(status).toBe(503);
    expect(body.error).toBe('database: no answer within 2000 ms');
    expect(body.checks.database).toEqual({ status: 'error', error: 'no answer within 2000 ms' });
    proxy.set('open');
    await waitFor(
      'health again',
      () => health(server),
      (h) => h.status === 200,
    );
  });

  it("answers 503 on /health and on API routes when the database is cut, in upstream's error shape", async () => {
    proxy.set('cut');
    const down = await waitFor(
      'health to see the cut',
      () => health(server),
      (h) => h.status === 503,
    );
    expect(down.body).toMatchObject({
      status: 'error',
      error: 'database: cannot be reached',
      checks: { database: { status: 'error' }, disk: { status: 'ok' } },
    });
    for (const [method, pathname, json] of [
      ['GET', '/v2/transcript'],
      ['POST', '/v2/transcript', { audio_url: 'https://example.com/a.wav' }],
    ] as const) {
      const res = await api(server, pathname, { method, json });
      expect(res.status, `${method} ${pathname}`).toBe(503);
      expect(await res.json()).toEqual({ error: 'Service unavailable: the database cannot be reached, try again shortly' });
    }
  });

  it('serves again once the database is back', async () => {
    proxy.set('open');
    await waitFor(
      'health again',
      () => health(server),
      (h) => h.status === 200,
    );
    await waitFor(
      'the API again',
      () => api(server, '/v2/transcript').then((r) => r.status),
      (s) => s === 200,
    );
  });
});

describe('/health and uploads on a full disk', () => {
  const mount = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-full-'));
  let server: TestServer;

  beforeAll(async () => {
    // A small disk of its own for the data directory (uploads); the database is on PostgreSQL.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mount]);
    server = await startServer({ storage: 'postgres', env: { EARSHOT_DATA_DIR: mount, EARSHOT_MIN_FREE_DISK_MB: '1' } });
  });
  afterAll(async () => {
    await server?.destroy();
    execFileSync('umount', [mount]);
    fs.rmSync(mount, { recursive: true, force: true });
  });

  it('answers 507 to the upload that does not fit, and /health says the disk is full, until space is freed', async () => {
    expect((await health(server)).status).toBe(200);
    const body = Buffer.alloc(1024 * 1024, 1);
    let res: Response | undefined;
    for (let i = 0; i < 12; i++) {
      res = await api(server, '/v2/upload', { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
      if (res.status !== 200) break;
    }
    expect(res!.status).toBe(507);
    expect(await res!.json()).toEqual({ error: 'Insufficient storage: the server is out of disk space' });
    const full = await health(server);
    expect(full.status).toBe(503);
    expect(full.body.error).toMatch(/^disk: 0 MB free, under the 1 MB minimum$/);
    expect(full.body.checks.database.status).toBe('ok');

    fs.rmSync(path.join(mount, 'uploads'), { recursive: true, force: true });
    expect((await health(server)).status).toBe(200);
  });
});
