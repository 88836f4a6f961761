import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { librivoxClips, longSpeech } from '../helpers/librivox.js';
import { createHosts, type Hosts, type Relay } from '../helpers/netns.js';
import { startReceiver } from '../helpers/receiver.js';
import { startS3, type TestS3 } from '../helpers/s3.js';
import { fastStatusEnv, summary, waitFor } from '../status/helpers.js';
import { api, createTestDatabase, startServer, waitForStatus, waitForTranscript, type TestServer } from '../helpers/server.js';

/**
 * Three nodes on three hosts of their own (network namespaces on a private /24, each with its own
 * address and data directory), one PostgreSQL, one S3-compatible store (s3rver) and a webhook
 * receiver, the last three reached through relays on the root namespace's bridge address (they
 * listen on loopback; the database's relay is also cut to take it away). Needs root: CI runs it as
 * root; elsewhere it fails saying why.
 */
const START_MS = 180_000;
// The status page probes every 4 s, two probes to change a status, no latency limits (a busy machine is slow).
const statusEnv = fastStatusEnv({
  EARSHOT_STATUS_PROBE_SECONDS: '4',
  EARSHOT_STATUS_PROBE_TIMEOUT_SECONDS: '30',
  EARSHOT_STATUS_SLOW_MS: '',
});
const JOB_MS = 120_000;
const wav = fs.readFileSync(librivoxClips()[1]!.wav); // "he was not an ill disposed young man"

/** `url` with its host and port replaced: a loopback service as the namespaces reach it. */
const via = (url: string, host: string, port: number) => {
  const u = new URL(url);
  u.hostname = host;
  u.port = String(port);
  return u.toString().replace(/\/$/, '');
};

async function upload(node: TestServer, body: Buffer): Promise<string> {
  const res = await api(node, '/v2/upload', { method: 'POST', body });
  expect(res.status).toBe(200);
  return ((await res.json()) as { upload_url: string }).upload_url;
}

async function create(node: TestServer, audioUrl: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await api(node, '/v2/transcript', { method: 'POST', json: { audio_url: audioUrl, ...extra } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { id: string }).id;
}

describe('a fleet on three hosts (network namespaces)', () => {
  let net: Hosts | undefined;
  let s3: TestS3;
  let db: { url: string; drop: () => Promise<void> };
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let hookUrl: string;
  let dbRelay: Relay;
  const nodes: TestServer[] = [];
  let a: TestServer;
  let b: TestServer;
  let c: TestServer;

  beforeAll(async () => {
    net = await createHosts(3);
    s3 = await startS3();
    db = await createTestDatabase();
    receiver = await startReceiver();
    const pg = new URL(db.url);
    dbRelay = await net.forward(pg.hostname, Number(pg.port || 5432));
    const dbUrl = via(db.url, net.gateway, dbRelay.port);
    const s3Env = {
      ...s3.env(),
      EARSHOT_S3_ENDPOINT: via(s3.endpoint, net.gateway, (await net.forward('127.0.0.1', Number(new URL(s3.endpoint).port))).port),
    };
    hookUrl = `${via(receiver.url, net.gateway, (await net.forward('127.0.0.1', Number(new URL(receiver.url).port))).port)}/hook`;
    const key = randomBytes(16).toString('hex');
    // A is API-only; B and C are workers. A short lease: a killed worker's job is taken over quickly.
    const envs = ([{ EARSHOT_WORKERS: 'false' }, {}, {}] as Record<string, string>[]).map((e) => ({
      ...s3Env,
      ...e,
      EARSHOT_JOB_LEASE_SECONDS: '4',
      EARSHOT_CONCURRENCY: '1',
      ...statusEnv,
    }));
    const start = (i: number) =>
      startServer({
        storage: 'postgres',
        databaseUrl: dbUrl,
        apiKey: key,
        env: envs[i]!,
        netns: { name: net!.hosts[i]!.netns, host: net!.hosts[i]!.address },
      });
    // All three start at once on the empty database (they take turns at migrations and the first
    // key). Each is kept as soon as it runs, so afterAll stops it even if another fails to start.
    const started: TestServer[] = [];
    const keep = async (i: number) => {
      const n = await start(i);
      nodes.push(n);
      started[i] = n;
    };
    await Promise.all([keep(0), keep(1), keep(2)]);
    [a, b, c] = started as [TestServer, TestServer, TestServer];
  }, START_MS);

  afterAll(async () => {
    if (process.env.EARSHOT_TEST_SHOW_OUTPUT) for (const n of nodes) console.log(n.output());
    // The namespaces go even when a step above failed; their processes first.
    await Promise.all(nodes.map((n) => n.destroy()));
    await net?.destroy();
    await db?.drop();
    await s3?.close();
    await receiver?.close();
  });

  it('runs each node on its own address, all started at once on an empty database', async () => {
    expect(new Set(nodes.map((n) => new URL(n.url).hostname)).size).toBe(3);
    expect(nodes.every((n) => !n.url.includes('127.0.0.1'))).toBe(true);
    // The shared key, stored once by whichever node came first, works on every node.
    const statuses = await Promise.all(nodes.map(async (n) => (await api(n, '/v2/transcript?limit=1')).status));
    expect(statuses).toEqual([200, 200, 200]);
  });

  it('transcribes an upload taken by A, created on B and polled on C', { timeout: JOB_MS }, async () => {
    const url = await upload(a, wav);
    const id = await create(b, url);
    const t = await waitForTranscript(c, id, JOB_MS - 5000);
    expect(t.error ?? null).toBeNull();
    expect(t.status).toBe('completed');
    expect(String(t.text).toLowerCase()).toContain('young man');
    expect(await s3.keys()).toContain(`earshot/uploads/${url.split('/').pop()}`);
  });

  it('removes the objects when another node deletes the transcript', { timeout: JOB_MS }, async () => {
    const url = await upload(b, wav);
    const upId = url.split('/').pop()!;
    const id = await create(a, url);
    expect((await waitForTranscript(c, id, JOB_MS - 5000)).status).toBe('completed');
    expect(await s3.keys()).toEqual(expect.arrayContaining([`earshot/uploads/${upId}`, `earshot/peaks/${id}.json`]));
    expect((await api(c, `/v2/transcript/${id}`, { method: 'DELETE' })).status).toBe(200);
    const keys = await s3.keys();
    expect(keys).not.toContain(`earshot/uploads/${upId}`);
    expect(keys).not.toContain(`earshot/peaks/${id}.json`);
  });

  it('transcribes an upload whose node is down by then', { timeout: JOB_MS }, async () => {
    const url = await upload(c, wav);
    await c.stop();
    const t = await waitForTranscript(a, await create(a, url), JOB_MS - 5000);
    expect(t.status).toBe('completed');
    expect(String(t.text).toLowerCase()).toContain('young man');
  });

  it('completes a job once, with one webhook, when its worker is killed (kill -9) mid-job', { timeout: START_MS }, async () => {
    // C stopped (above): B takes the job for sure. Then B dies mid-job and C, started again, takes it over.
    expect(c.process.exitCode !== null || c.process.signalCode !== null).toBe(true);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-multi-host-'));
    const url = await upload(a, fs.readFileSync(await longSpeech(dir, 2)));
    fs.rmSync(dir, { recursive: true, force: true });
    const id = await create(a, url, { webhook_url: hookUrl });
    await waitForStatus(a, id, 'processing', JOB_MS);
    await new Promise((r) => setTimeout(r, 500));
    await b.kill();
    expect(receiver.received).toHaveLength(0);
    await c.restart();
    const done = await waitForTranscript(a, id, JOB_MS);
    expect(done.status).toBe('completed');
    expect((done.words as unknown[]).length).toBeGreaterThan(20);
    await receiver.waitFor(() => receiver.received.length >= 1);
    // Give a duplicate a chance to show up: there must be none.
    await new Promise((r) => setTimeout(r, 3000));
    expect(receiver.received.map((r) => r.body)).toEqual([{ transcript_id: id, status: 'completed' }]);
    expect(c.output()).toMatch(/re-queued a transcription whose worker was lost/);
  });

  it('has one incident per component for a database cut off the network, resolved once it is back', { timeout: START_MS }, async () => {
    const live = [a, c];
    const since = new Date();
    dbRelay.cut();
    await Promise.all(
      live.map((n) =>
        waitFor(
          'storage down',
          () => summary(n),
          (s) => s.components.find((x) => x.id === 'storage')?.status === 'major_outage',
          90_000,
        ),
      ),
    );
    dbRelay.restore();
    const storageOpen = (s: Awaited<ReturnType<typeof summary>>) => s.incidents.some((i) => i.components.some((x) => x.id === 'storage'));
    for (const n of live)
      await waitFor(
        'storage back',
        () => summary(n),
        (s) => s.components.find((x) => x.id === 'storage')?.status === 'operational' && !storageOpen(s),
        90_000,
      );
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ auto_component: string; n: number; open: number }>(
        "select auto_component, count(*)::int as n, count(*) filter (where status <> 'resolved')::int as open from status_incidents where auto_component is not null and created_at >= $1 group by 1",
        [since],
      );
      // Both live nodes saw storage go down; the fleet has one incident for it, resolved.
      expect(rows.find((r) => r.auto_component === 'storage')).toEqual({ auto_component: 'storage', n: 1, open: 0 });
    } finally {
      await client.end();
    }
  });
});
