import fs from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { librivoxClips } from '../helpers/librivox.js';
import { api, startServer, waitForTranscript, type TestServer } from '../helpers/server.js';

/** POST with a Host header of our choosing (fetch does not let a caller set it). */
function postAs(server: TestServer, host: string, pathname: string, body: Buffer): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(pathname, server.url), { method: 'POST', headers: { host, authorization: server.key } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve(JSON.parse(text) as Record<string, unknown>));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('absolute URLs with EARSHOT_PUBLIC_URL', () => {
  const PUBLIC = 'https://speech.example.com/earshot';
  let server: TestServer;

  beforeAll(async () => {
    // A trailing slash, as an operator may write it: it must not double up in the URLs.
    server = await startServer({ env: { EARSHOT_PUBLIC_URL: `${PUBLIC}/` } });
  });
  afterAll(() => server?.destroy());

  it('builds upload_url from it, whatever Host the request names, and the server takes that URL back as its own upload', async () => {
    const wav = fs.readFileSync(librivoxClips()[0]!.wav);
    const { upload_url } = await postAs(server, 'internal-name:1234', '/v2/upload', wav);
    expect(upload_url).toMatch(new RegExp(`^${PUBLIC}/v2/upload/[0-9a-f-]{36}$`));
    // speech.example.com is never fetched (the tests have no internet): the upload is found by its id.
    const created = await api(server, '/v2/transcript', { method: 'POST', json: { audio_url: upload_url } });
    expect(created.status).toBe(200);
    const t = await waitForTranscript(server, ((await created.json()) as { id: string }).id);
    expect(t.status).toBe('completed');
  });

  it('builds the transcript list page URLs from it', async () => {
    const res = await api(server, '/v2/transcript?limit=1');
    const { page_details } = (await res.json()) as { page_details: { current_url: string } };
    expect(page_details.current_url).toBe(`${PUBLIC}/v2/transcript?limit=1`);
  });
});
