import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLocalAudio, presignedExpiry } from '../../src/doctor/audio.js';
import { runDoctor } from '../../src/doctor/runner.js';
import { librivoxClips } from '../helpers/librivox.js';

const run = promisify(execFile);
const clip = librivoxClips()[1]!.wav;

const codes = (fs: { code: string }[]) => fs.map((f) => f.code);

describe('audio: a local file', () => {
  let dir: string;
  const file = (name: string, data: string | Buffer) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, data);
    return p;
  };
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'doctor-audio-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a good recording is described, and the fix is to upload it', async () => {
    const { findings } = await checkLocalAudio(clip);
    expect(codes(findings)).toEqual(['audio.probe', 'audio.upload_needed']);
    expect(findings[0]!.message).toMatch(/wav, pcm_s16le, 1 ch, 16000 Hz, 2\.99 s/);
    expect(findings[1]!.fix).toMatch(/POST \/v2\/upload/);
  });

  it('too short, video only, not audio, empty, missing, unreadable, DRM', async () => {
    const short = path.join(dir, 'short.wav');
    await run('ffmpeg', ['-y', '-loglevel', 'error', '-i', clip, '-t', '0.1', short]);
    const video = path.join(dir, 'video.mp4');
    await run('ffmpeg', ['-y', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=duration=1:size=64x64:rate=5', '-an', video]);
    const drm = Buffer.alloc(4096);
    drm.write('ftypM4A ', 4, 'latin1');
    drm.write('sinf....schm....drms', 200, 'latin1');
    const cases: [string, string][] = [
      [short, 'audio.too_short'],
      [video, 'audio.video_only'],
      [file('page.mp3', '<!doctype html><html><body>Sign in</body></html>'), 'audio.not_audio'],
      [file('empty.wav', ''), 'audio.empty_file'],
      [path.join(dir, 'missing.mp3'), 'audio.file_not_found'],
      [file('noise.mp3', Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251))), 'audio.unsupported'],
      [file('song.m4p', drm), 'audio.drm_protected'],
      ['s3://bucket/key.mp3', 'audio.url_scheme'],
    ];
    for (const [input, code] of cases) {
      const { findings } = await checkLocalAudio(input);
      expect(findings[0]?.code, input).toBe(code);
      expect(findings[0]!.severity).toBe('fail');
      expect(findings[0]!.fix).toBeTruthy();
    }
  });
});

describe('audio: a URL, as the service would fetch it', () => {
  let server: http.Server;
  let base: string;
  const wav = fs.readFileSync(clip);
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const url = req.url ?? '';
      if (url === '/a.wav')
        return res
          .writeHead(206, { 'content-type': 'audio/wav', 'content-range': `bytes 0-8191/${wav.length}` })
          .end(wav.subarray(0, 8192));
      if (url === '/page')
        return res.writeHead(200, { 'content-type': 'text/html' }).end('<!DOCTYPE html><html><head><title>Player</title></head></html>');
      if (url === '/private') return res.writeHead(403).end('denied');
      if (url.startsWith('/loop/')) {
        const n = Number(url.slice(6));
        return res.writeHead(302, { location: n > 0 ? `/loop/${n - 1}` : '/a.wav' }).end();
      }
      res.writeHead(404).end('no');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const audioFindings = async (audio: string, baseUrl = base) => (await runDoctor({ baseUrl, audio, checks: ['audio'] })).findings;

  it('a reachable file passes, redirects noted', async () => {
    const f = await audioFindings(`${base}/loop/2`);
    expect(codes(f)).toContain('audio.url_ok');
    expect(codes(f)).toContain('audio.url_redirects');
    expect(f.find((x) => x.code === 'audio.url_ok')!.evidence).toMatchObject({ bytes: wav.length, sniffed: 'audio/x-wav' });
  });

  it.each([
    ['/page', 'audio.url_html', /audio file itself/],
    ['/private', 'audio.url_forbidden', /publicly readable|pre-signed/],
    ['/gone.mp3', 'audio.url_not_found', /upload/],
    ['/loop/7', 'audio.url_too_many_redirects', /final URL/],
  ])('%s: %s', async (p, code, fix) => {
    const f = await audioFindings(`${base}${p}`);
    const hit = f.find((x) => x.code === code);
    expect(hit, JSON.stringify(codes(f))).toBeDefined();
    expect(hit!.fix).toMatch(fix);
  });

  it('a localhost URL sent to the cloud is refused before anything is fetched, fix: upload', async () => {
    const f = await audioFindings(`${base}/a.wav`, 'https://api.assemblyai.com');
    expect(codes(f)).toEqual(['audio.url_private']);
    expect(f[0]!.severity).toBe('fail');
    expect(f[0]!.fix).toMatch(/\/v2\/upload/);
  });

  it('an expired pre-signed URL is named; expiry is read from S3, GCS and Azure forms', async () => {
    const f = await audioFindings(`${base}/a.wav?X-Amz-Date=20240101T000000Z&X-Amz-Expires=3600&X-Amz-Signature=abc`);
    expect(codes(f)).toContain('audio.url_expired');
    expect(presignedExpiry(new URL('https://b.s3.amazonaws.com/k?X-Amz-Date=20250102T030405Z&X-Amz-Expires=60'))!.toISOString()).toBe(
      '2025-01-02T03:05:05.000Z',
    );
    expect(
      presignedExpiry(new URL('https://storage.googleapis.com/b/k?X-Goog-Date=20250102T030405Z&X-Goog-Expires=600'))!.toISOString(),
    ).toBe('2025-01-02T03:14:05.000Z');
    expect(presignedExpiry(new URL('https://a.blob.core.windows.net/c/k?se=2025-01-02T03:04:05Z&sig=x'))!.toISOString()).toBe(
      '2025-01-02T03:04:05.000Z',
    );
    expect(presignedExpiry(new URL('https://example.com/a.mp3'))).toBeNull();
  });
});
