import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { librivoxClips } from '../helpers/librivox.js';
import { validateSchema } from '../helpers/openapi.js';
import { STORAGE_MODES, startServer, waitForTranscript, type StorageMode, type TestServer } from '../helpers/server.js';

const clip = librivoxClips()[0]!;
const NOT_FOUND = { error: 'Transcript lookup error, transcript id not found' };
const UNAUTHORIZED = { error: 'Authentication error, API token missing/invalid' };
const FORBIDDEN_UPLOAD = { error: 'Cannot access uploaded file' };

/**
 * Runs `earshot keys …` against the server's storage. The embedded database (PGlite) belongs to
 * one process, so in PGlite mode the server is stopped for the command and started again;
 * with PostgreSQL the CLI runs beside the live server.
 */
async function keysCli(
  server: TestServer,
  storage: StorageMode,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  if (storage === 'postgres') return server.cli(['keys', ...args]);
  await server.stop();
  try {
    return await server.cli(['keys', ...args]);
  } finally {
    await server.restart();
  }
}

async function createKey(server: TestServer, storage: StorageMode, project: string): Promise<string> {
  const out = await keysCli(server, storage, ['create', '--project', project]);
  expect(out.code, out.stderr).toBe(0);
  return out.stdout.trim();
}

/** fetch with a given key (or none) in the raw AssemblyAI form. */
function as(server: TestServer, key: string | null, pathname: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (key !== null) headers.set('authorization', key);
  else headers.delete('authorization');
  let body = init.body;
  if (init.json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(init.json);
  }
  return fetch(new URL(pathname, server.url), { ...init, headers, body });
}

async function upload(server: TestServer, key: string): Promise<string> {
  const res = await as(server, key, '/v2/upload', {
    method: 'POST',
    body: readFileSync(clip.wav),
    headers: { 'content-type': 'application/octet-stream' },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { upload_url: string }).upload_url;
}

async function listIds(server: TestServer, key: string): Promise<string[]> {
  const res = await as(server, key, '/v2/transcript?limit=200');
  expect(res.status).toBe(200);
  const body = (await res.json()) as { transcripts: { id: string }[] };
  validateSchema('TranscriptList', body);
  return body.transcripts.map((t) => t.id);
}

describe.each(STORAGE_MODES)('projects through a running server (%s)', (storage) => {
  let server: TestServer;
  let keyA: string;
  let keyB: string;
  let uploadA: string;
  let transcriptA: string;

  beforeAll(async () => {
    server = await startServer({ storage });
    keyA = server.key;
    keyB = await createKey(server, storage, 'other');
    uploadA = await upload(server, keyA);
    const res = await as(server, keyA, '/v2/transcript', { method: 'POST', json: { audio_url: uploadA } });
    expect(res.status).toBe(200);
    transcriptA = ((await res.json()) as { id: string }).id;
    const done = await waitForTranscript(server, transcriptA);
    expect(done.status).toBe('completed');
  });

  afterAll(async () => {
    if (process.env.EARSHOT_TEST_SHOW_OUTPUT) console.log(server?.output());
    await server?.destroy();
  });

  it('gives the second project its own key that works', async () => {
    expect(keyB).toMatch(/^[0-9a-f]{32}$/);
    expect(keyB).not.toBe(keyA);
    expect((await as(server, keyB, '/v2/transcript')).status).toBe(200);
  });

  it("refuses another project's upload_url with 403 and creates no transcript", async () => {
    const before = await listIds(server, keyB);
    const id = uploadA.slice(uploadA.lastIndexOf('/') + 1);
    const variants = [
      uploadA,
      `http://localhost:${new URL(server.url).port}/v2/upload/${id}`,
      uploadA.replace(id, id.toUpperCase()),
      `${uploadA}?download=1`,
    ];
    for (const audio_url of variants) {
      const res = await as(server, keyB, '/v2/transcript', { method: 'POST', json: { audio_url } });
      expect(res.status, audio_url).toBe(403);
      expect(await res.json()).toEqual(FORBIDDEN_UPLOAD);
    }
    expect(await listIds(server, keyB)).toEqual(before);
  });

  it("refuses to serve another project's upload", async () => {
    const res = await as(server, keyB, new URL(uploadA).pathname);
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual(FORBIDDEN_UPLOAD);
    const anonymous = await as(server, null, new URL(uploadA).pathname);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual(UNAUTHORIZED);
    const own = await as(server, keyA, new URL(uploadA).pathname);
    expect(own.status).toBe(200);
    expect(Buffer.from(await own.arrayBuffer())).toEqual(readFileSync(clip.wav));
  });

  it.each([
    ['GET', ''],
    ['GET', '/sentences'],
    ['GET', '/paragraphs'],
    ['GET', '/srt'],
    ['GET', '/vtt'],
    ['GET', '/word-search?words=the'],
    ['GET', '/webhook-deliveries'],
    ['DELETE', ''],
  ])("answers %s %s on another project's transcript as not found", async (method, suffix) => {
    const res = await as(server, keyB, `/v2/transcript/${transcriptA}${suffix}`, { method });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual(NOT_FOUND);
    // Exactly what a transcript that does not exist gets: no way to probe for ids.
    const missing = await as(server, keyB, `/v2/transcript/00000000-0000-4000-8000-000000000000${suffix}`, { method });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual(NOT_FOUND);
  });

  it("leaves the owner's transcript untouched after another project's requests", async () => {
    await as(server, keyB, `/v2/transcript/${transcriptA}`, { method: 'DELETE' });
    const res = await as(server, keyA, `/v2/transcript/${transcriptA}`);
    expect(res.status).toBe(200);
    const t = (await res.json()) as { status: string; text: string; audio_url: string };
    expect(t.status).toBe('completed');
    expect(t.text.length).toBeGreaterThan(0);
    expect(t.audio_url).toBe(uploadA);
    for (const suffix of ['/sentences', '/srt'])
      expect((await as(server, keyA, `/v2/transcript/${transcriptA}${suffix}`)).status).toBe(200);
  });

  it("keeps each project's transcript list to its own transcripts", async () => {
    const uploadB = await upload(server, keyB);
    const res = await as(server, keyB, '/v2/transcript', { method: 'POST', json: { audio_url: uploadB } });
    expect(res.status).toBe(200);
    const transcriptB = ((await res.json()) as { id: string }).id;

    const listA = await listIds(server, keyA);
    const listB = await listIds(server, keyB);
    expect(listA).toContain(transcriptA);
    expect(listA).not.toContain(transcriptB);
    expect(listB).toEqual([transcriptB]);

    const fromA = await as(server, keyA, `/v2/transcript/${transcriptB}`);
    expect(fromA.status).toBe(400);
    expect(await fromA.json()).toEqual(NOT_FOUND);
    const fromB = await as(server, keyB, `/v2/transcript/${transcriptB}`);
    expect(fromB.status).toBe(200);
  });

  it('accepts "Bearer KEY" as well as the raw key, and nothing else', async () => {
    for (const header of [keyA, `Bearer ${keyA}`, `bearer ${keyA}`, `  Bearer   ${keyA}  `]) {
      const res = await as(server, header, '/v2/transcript');
      expect(res.status, header).toBe(200);
    }
    const ownList = await (await as(server, `Bearer ${keyB}`, '/v2/transcript?limit=200')).json();
    expect((ownList as { transcripts: { id: string }[] }).transcripts.map((t) => t.id)).not.toContain(transcriptA);
    for (const header of [null, '', 'Bearer', `Bearer ${keyA}x`, `Basic ${keyA}`, keyA.toUpperCase()]) {
      const res = await as(server, header, '/v2/transcript');
      expect(res.status, String(header)).toBe(401);
      expect(await res.json()).toEqual(UNAUTHORIZED);
    }
  });

  it('stops accepting a revoked key', async () => {
    const keyC = await createKey(server, storage, 'other');
    expect((await as(server, keyC, '/v2/transcript')).status).toBe(200);
    const out = await keysCli(server, storage, ['revoke', keyC]);
    expect(out.code, out.stderr).toBe(0);
    // A running server may trust a key it has just checked for a few seconds.
    let res: Response | undefined;
    for (let i = 0; i < 40; i++) {
      res = await as(server, keyC, '/v2/transcript');
      if (res.status === 401) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(res!.status).toBe(401);
    expect(await res!.json()).toEqual(UNAUTHORIZED);
    // The project's other key keeps working.
    expect((await as(server, keyB, '/v2/transcript')).status).toBe(200);
  });
});

describe.each(STORAGE_MODES)('first start without a configured key (%s)', (storage) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({ storage, apiKey: false });
  });
  afterAll(async () => {
    await server?.destroy();
  });

  const banner = /Created an API key \(stored hashed, shown only this once\):\s+([0-9a-f]{32})\s/g;

  it('prints a generated key once, and that key works', async () => {
    const found = [...server.output().matchAll(banner)];
    expect(found).toHaveLength(1);
    const key = found[0]![1]!;
    expect(server.output()).toContain(`authorization: ${key}`);
    expect((await as(server, key, '/v2/transcript')).status).toBe(200);
    expect((await as(server, `Bearer ${key}`, '/v2/transcript')).status).toBe(200);
    expect((await as(server, null, '/v2/transcript')).status).toBe(401);
  });

  it('prints no new key on restart, and the first one still works', async () => {
    const key = [...server.output().matchAll(banner)][0]![1]!;
    await server.stop();
    await server.restart();
    expect(server.output().match(/Earshot listening on/g)).toHaveLength(2);
    expect([...server.output().matchAll(banner)]).toHaveLength(1);
    expect((await as(server, key, '/v2/transcript')).status).toBe(200);
  });
});
