import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { librivoxClips } from '../helpers/librivox.js';
import { startServer, waitForTranscript, type TestServer } from '../helpers/server.js';

/**
 * Issue 12 item 3 through the API: project B uploads an ffconcat playlist naming project A's upload
 * (a control byte defeats the text sniff). ffmpeg must not open A's file: B gets upstream's error,
 * never A's words. PostgreSQL storage, so B's key can be made beside the running server.
 */

const clip = librivoxClips()[0]!;
let server: TestServer;
let keyB: string;

function as(key: string, pathname: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', key);
  if (init.json !== undefined) headers.set('content-type', 'application/json');
  const body = init.json !== undefined ? JSON.stringify(init.json) : init.body;
  return fetch(new URL(pathname, server.url), { ...init, headers, body });
}

async function upload(key: string, body: Buffer<ArrayBuffer>): Promise<string> {
  const res = await as(key, '/v2/upload', { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { upload_url: string }).upload_url;
}

async function transcribe(key: string, audioUrl: string): Promise<Record<string, unknown>> {
  const res = await as(key, '/v2/transcript', { method: 'POST', json: { audio_url: audioUrl } });
  expect(res.status).toBe(200);
  const { id } = (await res.json()) as { id: string };
  return waitForTranscript({ ...server, key }, id, 120_000);
}

beforeAll(async () => {
  server = await startServer({ storage: 'postgres' });
  const created = await server.cli(['keys', 'create', '--project', 'project-b']);
  expect(created.code, created.stderr).toBe(0);
  keyB = created.stdout.trim();
}, 180_000);

afterAll(async () => {
  await server?.destroy();
});

describe("a playlist naming another project's upload", () => {
  it('ends in "File does not appear to contain audio" and never in the other upload\'s words', async () => {
    const urlA = await upload(server.key, readFileSync(clip.wav));
    const a = await transcribe(server.key, urlA);
    expect(a.status).toBe('completed');
    expect((a.words as unknown[]).length).toBeGreaterThan(5);

    const idA = new URL(urlA).pathname.split('/').pop()!;
    const playlist = Buffer.from(`ffconcat version 1.0\n#\x01\nfile ${idA}\nfile ${idA}\n`, 'latin1');
    const b = await transcribe(keyB, await upload(keyB, playlist));
    expect(b).toMatchObject({
      status: 'error',
      error: 'File does not appear to contain audio. File type is application/octet-stream (data).',
      text: null,
      words: null,
    });
    expect(b.audio_duration ?? null).toBeNull();
  }, 240_000);
});
