import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { librivoxClips } from '../helpers/librivox.js';
import { startS3, type TestS3 } from '../helpers/s3.js';
import { api, createTestDatabase, startServer, waitForTranscript, type StartOptions, type TestServer } from '../helpers/server.js';

const clip = librivoxClips()[1]!; // "he was not an ill disposed young man"
const wav = fs.readFileSync(clip.wav);
// Starting a node takes long on a busy machine; a fleet starts several.
const FLEET_START_MS = 300_000;
// A worker's first job loads its engine; on a busy machine that alone can take a minute.
const JOB_MS = 180_000;

async function upload(node: TestServer, body: Buffer = wav): Promise<string> {
  const res = await api(node, '/v2/upload', { method: 'POST', body });
  expect(res.status).toBe(200);
  return ((await res.json()) as { upload_url: string }).upload_url;
}

async function create(node: TestServer, audioUrl: string): Promise<string> {
  const res = await api(node, '/v2/transcript', { method: 'POST', json: { audio_url: audioUrl } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { id: string }).id;
}

/** Nodes on one PostgreSQL database and one API key, each with its own data directory (no shared disk). */
async function startFleet(env: Record<string, string>[], dbUrl: string): Promise<TestServer[]> {
  const key = randomBytes(16).toString('hex');
  const opts = (e: Record<string, string>): StartOptions => ({ storage: 'postgres', databaseUrl: dbUrl, apiKey: key, env: e });
  // The first node migrates the database alone; the others then start together.
  const first = await startServer(opts(env[0]!));
  return [first, ...(await Promise.all(env.slice(1).map((e) => startServer(opts(e)))))];
}

async function sql<T>(dbUrl: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('a fleet with no shared disk, on S3 storage', () => {
  let s3: TestS3;
  let db: { url: string; drop: () => Promise<void> };
  let nodes: TestServer[];
  let apiOnly: TestServer;
  let workerB: TestServer;
  let workerC: TestServer;
  let uploadUrl: string;
  let uploadId: string;
  let id: string;

  beforeAll(async () => {
    s3 = await startS3();
    db = await createTestDatabase();
    nodes = await startFleet([{ ...s3.env(), EARSHOT_WORKERS: 'false' }, s3.env(), s3.env()], db.url);
    [apiOnly, workerB, workerC] = nodes as [TestServer, TestServer, TestServer];
    // Upload to the API-only node, create on B, poll on C: every step on another node than the one before.
    uploadUrl = await upload(apiOnly);
    uploadId = uploadUrl.split('/').pop()!;
    id = await create(workerB, uploadUrl);
  }, FLEET_START_MS);

  afterAll(async () => {
    await Promise.all((nodes ?? []).map((n) => n.destroy()));
    await db?.drop();
    await s3?.close();
  });

  it('transcribes an upload taken by an API-only node, created on a second and polled on a third', { timeout: JOB_MS }, async () => {
    const t = await waitForTranscript(workerC, id, JOB_MS - 5000);
    expect(t.error ?? null).toBeNull();
    expect(t.status).toBe('completed');
    expect(String(t.text).toLowerCase()).toContain('young man');
    // The bytes are in the bucket, not on the disk of the node that took them.
    expect(await s3.keys()).toEqual(expect.arrayContaining([`earshot/uploads/${uploadId}`, `earshot/peaks/${id}.json`]));
    expect(fs.existsSync(`${apiOnly.dataDir}/uploads/${uploadId}`)).toBe(false);
  });

  it('serves the upload, its audio with Range, and its peaks from nodes that did not take it', async () => {
    const back = await api(workerC, `/v2/upload/${uploadId}`);
    expect(back.status).toBe(200);
    expect(Buffer.from(await back.arrayBuffer())).toEqual(wav);

    const part = await api(workerB, `/v2/transcript/${id}/audio`, { headers: { range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${wav.length}`);
    expect(part.headers.get('content-type')).toMatch(/^audio\//);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(wav.subarray(100, 200));

    const full = await api(apiOnly, `/v2/transcript/${id}/audio`);
    expect(full.status).toBe(200);
    expect(Buffer.from(await full.arrayBuffer())).toEqual(wav);

    const peaks = await api(apiOnly, `/v2/transcript/${id}/peaks`);
    expect(peaks.status).toBe(200);
    expect(((await peaks.json()) as { version: number }).version).toBe(2);
  });

  it('removes the objects when another node than the one that took the upload deletes the transcript', { timeout: JOB_MS }, async () => {
    const url = await upload(workerB);
    const upId = url.split('/').pop()!;
    const tid = await create(apiOnly, url);
    expect((await waitForTranscript(workerC, tid, JOB_MS - 5000)).status).toBe('completed');
    expect(await s3.keys()).toEqual(expect.arrayContaining([`earshot/uploads/${upId}`, `earshot/peaks/${tid}.json`]));

    const res = await api(apiOnly, `/v2/transcript/${tid}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    const keys = await s3.keys();
    expect(keys).not.toContain(`earshot/uploads/${upId}`);
    expect(keys).not.toContain(`earshot/peaks/${tid}.json`);
    expect((await api(workerB, `/v2/upload/${upId}`)).status).toBe(403);
  });

  it(
    'removes expired uploads from the bucket, whichever node runs the clean-up',
    async () => {
      const url = await upload(apiOnly);
      const upId = url.split('/').pop()!;
      expect(await s3.keys()).toContain(`earshot/uploads/${upId}`);
      await sql(db.url, "update uploads set expires_at = now() - interval '1 hour' where id = $1", [upId]);
      // A worker node runs the clean-up when it starts (then every 10 minutes).
      await workerC.stop();
      await workerC.restart();
      expect(await s3.keys()).not.toContain(`earshot/uploads/${upId}`);
      expect(await sql(db.url, 'select id from uploads where id = $1', [upId])).toEqual([]);
      // What is still in use stays.
      expect(await s3.keys()).toContain(`earshot/uploads/${uploadId}`);
    },
    FLEET_START_MS,
  );
});

describe('a fleet with no shared disk, on local storage', () => {
  let db: { url: string; drop: () => Promise<void> };
  let nodes: TestServer[];

  beforeAll(async () => {
    db = await createTestDatabase();
    // One probe changes a status either way: the test drives the rounds (POST /status/probe).
    const status = {
      EARSHOT_STATUS_FAILURE_THRESHOLD: '1',
      EARSHOT_STATUS_SUCCESS_THRESHOLD: '1',
      EARSHOT_STATUS_UPSTREAMS: '',
      // No latency limits: a slow round trip on a busy machine is not what is tested here.
      EARSHOT_STATUS_SLOW_MS: '',
    };
    nodes = await startFleet([{ ...status, EARSHOT_WORKERS: 'false' }, status], db.url);
  }, FLEET_START_MS);

  afterAll(async () => {
    await Promise.all((nodes ?? []).map((n) => n.destroy()));
    await db?.drop();
  });

  it('never shows an ENOENT: the error names the cause and the setting', { timeout: JOB_MS }, async () => {
    const [apiOnly, worker] = nodes as [TestServer, TestServer];
    const url = await upload(apiOnly);
    const upId = url.split('/').pop()!;
    const t = await waitForTranscript(worker, await create(worker, url), JOB_MS - 5000);
    expect(t.status).toBe('error');
    expect(t.error).toBe(
      `Download error, unable to download ${url}. Please make sure the file exists and is accessible from the internet. ` +
        'The uploaded file is not stored on this server: uploads are stored on the node that received them; set EARSHOT_STORAGE_URL for a fleet.',
    );
    const back = await api(worker, `/v2/upload/${upId}`);
    expect(back.status).toBe(503);
    expect(await back.json()).toEqual({ error: expect.stringContaining('set EARSHOT_STORAGE_URL for a fleet') });
    // The node that took it still serves it.
    expect(Buffer.from(await (await api(apiOnly, `/v2/upload/${upId}`)).arrayBuffer())).toEqual(wav);
  });

  it('says so on the status page (Storage) and in the doctor while several nodes are live, and not for one node alone', {
    timeout: JOB_MS,
  }, async () => {
    const [apiOnly, worker] = nodes as [TestServer, TestServer];
    const fleetText = '2 live nodes share this database but not a disk: an upload is readable only on the node that took it';
    const round = async () => {
      const res = await api(worker, '/status/probe', { method: 'POST' });
      expect(res.status).toBe(200);
      return ((await res.json()) as { results: Record<string, { observed: string; message: string }> }).results.storage!;
    };
    const storageOf = async () =>
      (
        (await (await fetch(new URL('/api/v2/summary.json', worker.url))).json()) as { components: { id: string; status: string }[] }
      ).components.find((c) => c.id === 'storage')?.status;
    // The Storage card of the page: its status and its latest check (incidents below may quote older ones).
    const card = async () => {
      const html = await (await fetch(new URL('/status', worker.url), { headers: { accept: 'text/html' } })).text();
      const m = /data-component="storage" data-status="([^"]+)"[\s\S]*?<p class="msg">([\s\S]*?)<\/p>/.exec(html);
      return { status: m?.[1], message: m?.[2] };
    };
    const doctor = async () => {
      const r = await worker.cli(['doctor', '--server', worker.url, '--only', 'reach', '--json']);
      return (JSON.parse(r.stdout) as { findings: { code: string; severity: string; message: string; fix?: string }[] }).findings;
    };
    const own = async () => {
      const res = await api(worker, '/v2/doctor?checks=reach');
      expect(res.status).toBe(200);
      return ((await res.json()) as { findings: { code: string }[] }).findings.map((f) => f.code);
    };

    const seen = await round();
    expect(seen.observed).toBe('degraded_performance');
    expect(seen.message).toContain(`${fleetText} (set EARSHOT_STORAGE_URL=s3://BUCKET on every node)`);
    expect(await storageOf()).toBe('degraded_performance');
    expect(await card()).toEqual({ status: 'degraded_performance', message: expect.stringContaining(fleetText) });
    const warning = (await doctor()).find((f) => f.code === 'reach.storage_not_shared');
    expect(warning).toMatchObject({ severity: 'warn', fix: expect.stringMatching(/^Set EARSHOT_STORAGE_URL=s3:\/\/BUCKET/) });
    expect(warning!.message).toContain('2 live nodes share');
    expect(await own()).toContain('reach.storage_not_shared');

    // The node that took the uploads stops (and leaves the heartbeat table): one node alone reads all its uploads.
    await apiOnly.stop();
    const alone = await round();
    expect(alone.observed).toBe('operational');
    expect(alone.message).not.toContain('not a disk');
    expect(await storageOf()).toBe('operational');
    expect(await card()).toEqual({ status: 'operational', message: expect.not.stringContaining(fleetText) });
    expect((await doctor()).map((f) => f.code)).not.toContain('reach.storage_not_shared');
    expect(await own()).not.toContain('reach.storage_not_shared');
  });
});
