import fs from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startServer, waitForTranscript, type TestServer } from '../helpers/server.js';
import { librivoxClips } from '../helpers/librivox.js';

/** The Earshot extensions the web console uses: audio with Range, signed audio URLs, peaks, search, keys, and the console's own files. */
describe('console extensions', () => {
  let server: TestServer;
  let id: string;
  const clip = librivoxClips()[1]!; // "he was not an ill disposed young man"
  const wav = fs.readFileSync(clip.wav);

  beforeAll(async () => {
    server = await startServer();
    const up = (await (await api(server, '/v2/upload', { method: 'POST', body: wav })).json()) as { upload_url: string };
    const created = (await (await api(server, '/v2/transcript', { method: 'POST', json: { audio_url: up.upload_url } })).json()) as {
      id: string;
    };
    id = created.id;
    expect((await waitForTranscript(server, id)).status).toBe('completed');
  });
  afterAll(() => server?.destroy());

  it('serves peaks computed by the pipeline, in audiowaveform JSON', async () => {
    expect(fs.existsSync(`${server.dataDir}/peaks/${id}.json`)).toBe(true);
    const res = await api(server, `/v2/transcript/${id}/peaks`);
    expect(res.status).toBe(200);
    const peaks = (await res.json()) as {
      version: number;
      sample_rate: number;
      samples_per_pixel: number;
      bits: number;
      length: number;
      data: number[];
    };
    expect(peaks).toMatchObject({ version: 2, channels: 1, sample_rate: 16000, bits: 8 });
    expect(peaks.data).toHaveLength(peaks.length * 2);
    // 16 kHz mono 16-bit WAV: duration from the file size, within one peak.
    const seconds = (wav.length - 44) / 32000;
    expect(Math.abs((peaks.length * peaks.samples_per_pixel) / 16000 - seconds)).toBeLessThan(peaks.samples_per_pixel / 16000 + 0.01);
    expect(Math.max(...peaks.data)).toBeGreaterThan(10); // speech, not silence
    for (let i = 0; i < peaks.length; i++) expect(peaks.data[2 * i]).toBeLessThanOrEqual(peaks.data[2 * i + 1]!);
  });

  it('recomputes missing peaks on first request from the stored upload', async () => {
    fs.rmSync(`${server.dataDir}/peaks/${id}.json`);
    const [a, b] = await Promise.all([api(server, `/v2/transcript/${id}/peaks`), api(server, `/v2/transcript/${id}/peaks`)]);
    expect(a.status).toBe(200);
    expect(await a.text()).toBe(await b.text());
    expect(fs.existsSync(`${server.dataDir}/peaks/${id}.json`)).toBe(true);
  });

  it('serves the audio with Range to the key holder and to a signed URL, and to no one else', async () => {
    const full = await api(server, `/v2/transcript/${id}/audio`);
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toBe('audio/x-wav');
    expect(full.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await full.arrayBuffer()).equals(wav)).toBe(true);

    const part = await api(server, `/v2/transcript/${id}/audio`, { headers: { range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${wav.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(wav.subarray(100, 200))).toBe(true);
    const tail = await api(server, `/v2/transcript/${id}/audio`, { headers: { range: 'bytes=-10' } });
    expect(Buffer.from(await tail.arrayBuffer()).equals(wav.subarray(-10))).toBe(true);
    const past = await api(server, `/v2/transcript/${id}/audio`, { headers: { range: `bytes=${wav.length}-` } });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${wav.length}`);

    const { url, expires_at } = (await (await api(server, `/v2/transcript/${id}/audio-url`)).json()) as { url: string; expires_at: string };
    expect(new Date(expires_at).getTime()).toBeGreaterThan(Date.now());
    const signed = await fetch(url, { headers: { range: 'bytes=0-3' } });
    expect(signed.status).toBe(206);
    expect(await signed.text()).toBe('RIFF');

    const token = new URL(url).searchParams.get('token')!;
    const tampered = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    expect((await fetch(`${server.url}/v2/transcript/${id}/audio?token=${tampered}`)).status).toBe(401);
    expect((await fetch(`${server.url}/v2/transcript/${id}/audio`)).status).toBe(401);
    expect((await fetch(`${server.url}/v2/transcript/${id}/audio?token=../../etc/passwd`)).status).toBe(401);

    // A token is for one transcript's audio only.
    const other = (await (
      await api(server, '/v2/transcript', { method: 'POST', json: { audio_url: 'http://127.0.0.1:9/none.wav' } })
    ).json()) as { id: string };
    expect((await fetch(`${server.url}/v2/transcript/${other.id}/audio?token=${token}`)).status).toBe(401);
    // A URL-sourced transcript's audio is its own audio_url; Earshot does not keep it.
    expect(await (await api(server, `/v2/transcript/${other.id}/audio-url`)).json()).toEqual({
      url: 'http://127.0.0.1:9/none.wav',
      expires_at: null,
    });
    expect((await api(server, `/v2/transcript/${other.id}/audio`)).status).toBe(404);

    // Revoking the key that signed the URL kills it.
    const made = (await (await api(server, '/v2/keys', { method: 'POST', json: { name: 'player' } })).json()) as {
      id: string;
      key: string;
    };
    const viaNew = (await (await api(server, `/v2/transcript/${id}/audio-url`, { headers: { authorization: made.key } })).json()) as {
      url: string;
    };
    expect((await fetch(viaNew.url, { method: 'HEAD' })).status).toBe(200);
    expect((await api(server, `/v2/keys/${made.id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await fetch(viaNew.url, { method: 'HEAD' })).status).toBe(401);
  });

  it('searches transcript text, newest first, with a snippet', async () => {
    const res = await api(server, '/v2/transcript/search?text=YOUNG%20MAN');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { transcripts: { id: string; snippet: string; status: string }[]; prev_url: string | null };
    expect(body.transcripts.map((t) => t.id)).toEqual([id]);
    expect(body.transcripts[0]!.snippet.toLowerCase()).toContain('young man');
    expect(body.prev_url).toBeNull();
    const none = (await (await api(server, '/v2/transcript/search?text=100%25_sure')).json()) as { transcripts: unknown[] };
    expect(none.transcripts).toEqual([]);
    expect((await api(server, '/v2/transcript/search?text=')).status).toBe(400);
    expect((await fetch(`${server.url}/v2/transcript/search?text=man`)).status).toBe(401);
  });

  it("manages the project's keys, never showing a stored key, and refuses a key revoking itself", async () => {
    const created = (await (await api(server, '/v2/keys', { method: 'POST', json: { name: 'laptop' } })).json()) as {
      id: string;
      key: string;
      key_prefix: string;
    };
    expect(created.key).toMatch(/^[0-9a-f]{32}$/);
    expect(created.key.startsWith(created.key_prefix)).toBe(true);
    expect((await api(server, '/v2/transcript?limit=1', { headers: { authorization: created.key } })).status).toBe(200);

    const list = (await (await api(server, '/v2/keys')).json()) as { keys: Record<string, unknown>[] };
    expect(JSON.stringify(list)).not.toContain(created.key);
    expect(list.keys.find((k) => k.id === created.id)).toMatchObject({ name: 'laptop', current: false, revoked_at: null });
    const mine = list.keys.find((k) => k.current)!;
    expect(server.key.startsWith(mine.key_prefix as string)).toBe(true);

    expect((await api(server, `/v2/keys/${mine.id}`, { method: 'DELETE' })).status).toBe(400);
    const revoked = await api(server, `/v2/keys/${created.id}`, { method: 'DELETE' });
    expect(((await revoked.json()) as { revoked_at: string | null }).revoked_at).not.toBeNull();
    expect((await api(server, '/v2/keys/00000000-0000-4000-8000-000000000000', { method: 'DELETE' })).status).toBe(404);
    expect((await api(server, '/v2/keys', { method: 'POST', json: { name: '' } })).status).toBe(400);
  });

  it("keeps a transcript's file name and gives the details the list lacks", async () => {
    const json = { file_name: ' Board\u0007 meeting.wav ' };
    const named = await api(server, `/v2/console/transcripts/${id}/file-name`, { method: 'PUT', json });
    expect(await named.json()).toEqual({ id, file_name: 'Board meeting.wav' });
    const t = (await (await api(server, `/v2/transcript/${id}`)).json()) as { audio_duration: number };
    const unknown = '00000000-0000-4000-8000-000000000000';
    const details = await api(server, `/v2/console/transcripts?ids=${id.toUpperCase()},${unknown}`);
    expect(await details.json()).toEqual({ transcripts: [{ id, file_name: 'Board meeting.wav', audio_duration: t.audio_duration }] });
    // Upstream's own resources keep upstream's shape.
    expect(Object.keys((await (await api(server, `/v2/transcript/${id}`)).json()) as object)).not.toContain('file_name');

    const bad: [string, string, unknown][] = [
      ['PUT', `/v2/console/transcripts/${id}/file-name`, {}],
      ['PUT', `/v2/console/transcripts/${id}/file-name`, { file_name: '\u0001 ' }],
      ['PUT', `/v2/console/transcripts/${id}/file-name`, { file_name: 'x'.repeat(256) }],
      ['PUT', `/v2/console/transcripts/${unknown}/file-name`, { file_name: 'a.wav' }],
      ['PUT', '/v2/console/transcripts/nope/file-name', { file_name: 'a.wav' }],
      ['GET', '/v2/console/transcripts?ids=nope', undefined],
      ['GET', `/v2/console/transcripts?ids=${Array(201).fill(unknown).join(',')}`, undefined],
      // No webhook_url to send to.
      ['POST', `/v2/console/transcripts/${id}/webhook-redeliver`, undefined],
    ];
    for (const [method, path, json] of bad) {
      const res = await api(server, path, { method, json });
      expect(res.status, `${method} ${path.slice(0, 80)}`).toBe(400);
      expect(typeof ((await res.json()) as { error: unknown }).error).toBe('string');
    }
    expect((await api(server, `/v2/console/transcripts?ids=${id}`, { headers: { authorization: 'wrong' } })).status).toBe(401);
  });

  it('says what the server supports, as the transcript API enforces it', async () => {
    type Caps = { speech_model: string; languages: string[] | 'all'; unsupported_features: string[] };
    const caps = (await (await api(server, '/v2/console/capabilities')).json()) as Caps;
    expect(caps.speech_model).toBe('pocketsphinx-en-us');
    expect(caps.languages).toContain('en_us');
    for (const feature of caps.unsupported_features) {
      const json = { audio_url: 'https://example.com/a.wav', [feature]: true };
      const res = await api(server, '/v2/transcript', { method: 'POST', json });
      expect(res.status, feature).toBe(400);
    }
    const other = caps.languages === 'all' ? null : 'xx';
    if (other) {
      const json = { audio_url: 'https://example.com/a.wav', language_code: other };
      expect((await api(server, '/v2/transcript', { method: 'POST', json })).status).toBe(400);
    }
  });

  it('serves the console with a CSP, long-lived hashed assets, gzip, and nothing outside its build', async () => {
    const page = await fetch(`${server.url}/`, { headers: { 'accept-encoding': 'gzip' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await page.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const js = await fetch(`${server.url}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect(js.headers.get('content-encoding')).toBe('gzip');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await fetch(`${server.url}${script}`, { headers: { 'if-none-match': js.headers.get('etag')! } })).status).toBe(304);

    // Sent as written (fetch would normalise the dots away): only the build's own files are served.
    const rawStatus = (p: string) =>
      new Promise<number>((resolve, reject) => {
        const req = http.request(`${server.url}/`, { path: p }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', reject);
        req.end();
      });
    for (const bad of [
      '/assets/../../package.json',
      '/assets/%2e%2e/%2e%2e/package.json',
      '/..%2fpackage.json',
      '/assets/..%2f..%2fpackage.json',
      '/assets/',
      '/index.html/..',
      '/assets/../index.html',
    ]) {
      expect([400, 404], bad).toContain(await rawStatus(bad));
    }
  });
});
