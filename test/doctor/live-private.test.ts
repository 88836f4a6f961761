import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorOptions } from '../../src/doctor/context.js';
import type { DoctorReport, Finding } from '../../src/doctor/finding.js';
import { runDoctor } from '../../src/doctor/runner.js';
import { ffmpegConvert, librivoxClips } from '../helpers/librivox.js';
import { tinyLlmEnv } from '../helpers/llm.js';
import { startReceiver } from '../helpers/receiver.js';
import { api, freePort, runCli, startServer, waitForTranscript, type TestServer } from '../helpers/server.js';

/**
 * The doctor against a live Earshot (private mode, workers on, the tiny LLM for LeMUR), set up to
 * fail in each way the doctor knows, and once healthy over TLS for a clean pass.
 */
const clip = librivoxClips()[1]!.wav;
const codes = (f: Finding[]) => f.map((x) => x.code);
const find = (f: Finding[], code: string) => {
  const hit = f.find((x) => x.code === code);
  if (!hit) throw new Error(`${code} not in ${JSON.stringify(codes(f))}`);
  return hit;
};

describe('earshot doctor against a live Earshot', () => {
  let server: TestServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let tlsReceiver: https.Server;
  let tlsReceiverUrl: string;
  let dir: string;
  // Another "region": a server that takes a key this one does not know.
  let otherRegion: http.Server;
  let otherRegionUrl: string;

  beforeAll(async () => {
    receiver = await startReceiver((req) => {
      if (req.path.startsWith('/broken')) return { status: 500 };
      if (req.path.startsWith('/gone')) return { status: 404 };
      if (req.path.startsWith('/secret')) return { status: req.headers['x-hook-secret'] === 'right' ? 200 : 401 };
      if (req.path.startsWith('/moved')) return { status: 302 };
      if (req.path.startsWith('/slow')) return { status: 200, delayMs: 1_500 };
      return { status: 200 };
    });
    const pems = await generate([{ name: 'commonName', value: 'receiver' }], {
      keyType: 'ec',
      curve: 'P-256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    });
    tlsReceiver = https.createServer({ cert: pems.cert, key: pems.private }, (_q, r) => r.writeHead(200).end());
    await new Promise<void>((r) => tlsReceiver.listen(0, '127.0.0.1', r));
    tlsReceiverUrl = `https://127.0.0.1:${(tlsReceiver.address() as AddressInfo).port}/hook`;
    otherRegion = http.createServer((req, res) =>
      res
        .writeHead(req.headers.authorization === 'key-of-the-other-region' ? 200 : 401, { 'content-type': 'application/json' })
        .end('{"transcripts":[]}'),
    );
    await new Promise<void>((r) => otherRegion.listen(0, '127.0.0.1', r));
    otherRegionUrl = `http://127.0.0.1:${(otherRegion.address() as AddressInfo).port}`;
    server = await startServer({
      env: { ...tinyLlmEnv(1024), EARSHOT_TLS: 'self-signed', EARSHOT_WEBHOOK_RETRY_SECONDS: '1', EARSHOT_WEBHOOK_MAX_ATTEMPTS: '2' },
    });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'doctor-live-'));
  });
  afterAll(async () => {
    await server?.destroy();
    await receiver?.close();
    await new Promise<void>((r) => (tlsReceiver ? tlsReceiver.close(() => r()) : r()));
    await new Promise<void>((r) => (otherRegion ? otherRegion.close(() => r()) : r()));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const doctor = (o: Partial<DoctorOptions>): Promise<DoctorReport> => runDoctor({ baseUrl: server.url, apiKey: server.key, ...o });

  it('healthy over TLS with the certificate trusted: a clean pass, exit 0 (CLI, --json)', async () => {
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: path.join(server.dataDir, 'tls', 'cert.pem'), ASSEMBLYAI_API_KEY: server.key };
    const { code, stdout } = await runCli(
      ['doctor', '--server', server.tlsUrl!, '--submit', '--streaming', '--webhook-url', `${receiver.url}/ok`, '--json'],
      env,
    );
    const report = JSON.parse(stdout) as DoctorReport;
    expect(
      report.findings.filter((f) => f.severity === 'fail' || f.severity === 'warn'),
      stdout,
    ).toEqual([]);
    expect(code).toBe(0);
    expect(report).toMatchObject({ result: 'pass', exit_code: 0, target: { kind: 'self-hosted', earshot: true } });
    for (const c of [
      'reach.tls',
      'reach.api',
      'auth.ok',
      'lifecycle.submitted',
      'lifecycle.completed',
      'webhook.ok',
      'webhook.delivered',
      'streaming.ok',
    ])
      find(report.findings, c);
    expect(find(report.findings, 'streaming.ok').evidence).toMatchObject({
      url: `${server.tlsUrl!.replace('https', 'wss')}/v3/ws`,
      close: { code: 1000 },
    });
    // The delivery the doctor sent is the service's: {transcript_id, status} as JSON.
    expect(receiver.to('/ok')[0]!.body).toMatchObject({ status: 'completed' });
    expect(receiver.to('/ok')[0]!.headers['content-type']).toBe('application/json');
  });

  it('healthy over plain HTTP: passes, with advice about wss:// for the Node SDK; human output is one summary line plus advice', async () => {
    const { code, stdout } = await runCli(['doctor', '--server', server.url, '--api-key', server.key, '--no-color'], process.env);
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toMatch(/^✓ All good: \d+ passed — http:\/\/127\.0\.0\.1:\d+ \(Earshot, /);
    expect(stdout).toContain('i streaming.ws_insecure');
  });

  describe('auth: the header forms people send, told apart by trying the variants', () => {
    it.each([
      [
        'Bearer KEY (accepted here, not upstream)',
        { key: (k: string) => `Bearer ${k}` },
        'auth.bearer_prefix',
        'warn',
        /no "Bearer " prefix/,
      ],
      ['the key in X-API-Key', { header: 'X-API-Key' }, 'auth.wrong_header', 'fail', /"Authorization: KEY"/],
      ['the key in api-key', { header: 'api-key' }, 'auth.wrong_header', 'fail', /"Authorization: KEY"/],
      ['the key in quotes', { key: (k: string) => `"${k}"` }, 'auth.key_quoted', 'fail', /Remove the quotes/],
      ['the key with a newline from a file', { key: (k: string) => `${k}\n` }, 'auth.key_whitespace', 'fail', /Strip whitespace/],
      ['a wrong key', { key: () => 'not-a-key-of-this-server' }, 'auth.key_invalid', 'fail', /earshot keys list/],
      ['no key', { key: () => null }, 'auth.missing_key', 'fail', /--api-key/],
      ['an unexpanded variable', { key: () => '$ASSEMBLYAI_API_KEY' }, 'auth.key_unexpanded', 'fail', /double quotes/],
    ] as const)('%s', async (_name, variant, code, severity, fix) => {
      const apiKey = 'key' in variant ? variant.key(server.key) : server.key;
      const authHeaderName = 'header' in variant ? variant.header : null;
      const r = await doctor({ apiKey, authHeaderName, checks: ['reach', 'auth'] });
      const f = find(r.findings, code);
      expect(f.severity).toBe(severity);
      expect(f.fix).toMatch(fix);
      expect(r.exit_code).toBe(severity === 'fail' ? 2 : 1);
    });

    it('a key that belongs to another region or host', async () => {
      const r = await doctor({ apiKey: 'key-of-the-other-region', alternateBaseUrls: [otherRegionUrl], checks: ['reach', 'auth'] });
      const f = find(r.findings, 'auth.wrong_region');
      expect(f.fix).toContain(otherRegionUrl);
      expect(f.evidence).toMatchObject({ as_sent: 401 });
    });

    it('a pasted curl with the key in x-api-key: the text is flagged and the live variants confirm it', async () => {
      const { code, stdout } = await runCli(
        ['doctor', '--curl', `curl ${server.url}/v2/transcript -H "x-api-key: ${server.key}"`, '--json'],
        { ...process.env, ASSEMBLYAI_API_KEY: '' },
      );
      const r = JSON.parse(stdout) as DoctorReport;
      expect(code).toBe(2);
      find(r.findings, 'request.wrong_auth_header');
      expect(find(r.findings, 'auth.wrong_header').evidence).toMatchObject({
        header: 'x-api-key',
        as_sent: 401,
        bare_key_in_authorization: 200,
      });
    });
  });

  describe('webhooks: a receiver that answers 500, 404, too slowly, with a redirect, or with a bad certificate', () => {
    it.each([
      ['/broken', 'webhook.server_error', /Fix the error in your receiver/],
      ['/gone', 'webhook.rejected', /No route at this path/],
      ['/slow', 'webhook.timeout', /Answer 2xx at once/],
      ['/moved', 'webhook.redirect', /final URL/],
    ])('%s: %s, checked from the server', async (p, code, fix) => {
      // 1 s stands in for upstream's 10 s so the test need not wait 11 s; the receiver takes 1.5 s.
      const r = await doctor({ webhookUrl: `${receiver.url}${p}`, webhookTimeoutMs: 1_000, checks: ['reach', 'auth', 'webhook'] });
      const f = find(r.findings, code);
      expect(f.severity).toBe('fail');
      expect(f.fix).toMatch(fix);
      expect(f.evidence).toMatchObject({ checked_from: 'server', payload: { status: 'completed' } });
    });

    it('sends the auth header as the service does; a receiver that wants another secret is a final 4xx', async () => {
      const ok = await doctor({
        webhookUrl: `${receiver.url}/secret/a`,
        webhookAuth: { name: 'X-Hook-Secret', value: 'right' },
        checks: ['webhook'],
      });
      expect(codes(ok.findings)).toEqual(['webhook.ok']);
      expect(receiver.to('/secret/a')[0]!.headers['x-hook-secret']).toBe('right');
      const bad = await doctor({
        webhookUrl: `${receiver.url}/secret/b`,
        webhookAuth: { name: 'X-Hook-Secret', value: 'wrong' },
        checks: ['webhook'],
      });
      expect(find(bad.findings, 'webhook.rejected').fix).toMatch(/webhook_auth_header_name\/value/);
    });

    it('a self-signed receiver certificate, and nothing listening', async () => {
      expect(find((await doctor({ webhookUrl: tlsReceiverUrl, checks: ['webhook'] })).findings, 'webhook.tls_error').fix).toMatch(
        /public CA|tunnel/,
      );
      const closed = `http://127.0.0.1:${await freePort()}/hook`;
      expect(find((await doctor({ webhookUrl: closed, checks: ['webhook'] })).findings, 'webhook.unreachable').fix).toMatch(
        /Start the receiver.*ngrok/,
      );
    });

    it('localhost sent to a remote service: suggests a tunnel', async () => {
      const r = await doctor({ baseUrl: 'https://api.assemblyai.com', webhookUrl: `${receiver.url}/ok`, checks: ['webhook'] });
      expect(find(r.findings, 'webhook.private_address').fix).toMatch(/ngrok http \d+/);
    });

    it('a transcript whose webhook the service could not deliver (404 recorded)', async () => {
      const res = await api(server, '/v2/transcript', {
        method: 'POST',
        json: { audio_url: `${receiver.url}/missing.mp3`, webhook_url: `${receiver.url}/gone/t` },
      });
      const { id } = (await res.json()) as { id: string };
      await waitForTranscript(server, id);
      await receiver.waitFor(() => receiver.to('/gone/t').length > 0);
      const r = await doctor({ transcriptId: id, checks: ['auth', 'lifecycle', 'webhook'], waitSeconds: 5 });
      const f = find(r.findings, 'webhook.delivery_failed');
      expect(f.message).toMatch(/got 404 .*a 4xx is final/);
      expect(f.evidence).toMatchObject({ webhook_status_code: 404 });
    });
  });

  describe('transcripts that fail, explained', () => {
    it('an audio URL that 404s: the audio check says so from the server, the submitted transcript fails with the download error', async () => {
      const r = await doctor({ audio: `${receiver.url}/nothing-here.mp3`, submit: true, checks: ['reach', 'auth', 'audio', 'lifecycle'] });
      // The receiver answers 404 on /gone… only; here it answers 200 "ok": a text body, not audio.
      find(r.findings, 'audio.url_not_audio');
      const f = find(r.findings, 'lifecycle.not_audio');
      expect(f.message).toMatch(/File does not appear to contain audio\. File type is text\/plain/);
      const gone = await doctor({ audio: `${receiver.url}/gone/audio.mp3`, submit: true, checks: ['reach', 'auth', 'audio', 'lifecycle'] });
      expect(find(gone.findings, 'audio.url_not_found').evidence).toMatchObject({ checked_from: 'server', status: 404 });
      const d = find(gone.findings, 'lifecycle.download_error');
      expect(d.message).toMatch(/Download error, unable to download/);
      expect(d.fix).toMatch(/\/v2\/upload/);
      expect(find(gone.findings, 'lifecycle.download_error').evidence).toMatchObject({
        timeline: expect.arrayContaining([expect.objectContaining({ status: 'error' })]),
      });
    });

    it('following a transcript that already failed: says the client stopped polling, and explains the error', async () => {
      const res = await api(server, '/v2/transcript', { method: 'POST', json: { audio_url: `${receiver.url}/gone/x.wav` } });
      const { id } = (await res.json()) as { id: string };
      await waitForTranscript(server, id);
      const r = await doctor({ transcriptId: id, checks: ['auth', 'lifecycle'] });
      expect(find(r.findings, 'lifecycle.already_finished').fix).toMatch(/until status is "completed" or "error"/);
      find(r.findings, 'lifecycle.download_error');
    });

    it('a local file that is not audio is not uploaded; a too-short one is', async () => {
      const page = path.join(dir, 'page.mp3');
      fs.writeFileSync(page, '<html><body>Download</body></html>');
      const r = await doctor({ audio: page, submit: true, checks: ['auth', 'audio', 'lifecycle'] });
      expect(codes(r.findings)).toEqual(['auth.ok', 'audio.not_audio', 'lifecycle.not_run']);
      const short = await ffmpegConvert(clip, path.join(dir, 'short.wav'), ['-t', '0.1']);
      const s = await doctor({ audio: short, submit: true, checks: ['auth', 'audio'] });
      expect(find(s.findings, 'audio.too_short').message).toMatch(/100 ms; the minimum is 160 ms/);
    });

    it('an upload URL that is gone', async () => {
      const r = await doctor({ audio: `${server.url}/v2/upload/5f3c0d2e-1b2a-4c3d-8e4f-5a6b7c8d9e0f`, checks: ['reach', 'auth', 'audio'] });
      expect(find(r.findings, 'audio.upload_expired').fix).toMatch(/Upload the file again/);
    });
  });

  describe('streaming', () => {
    it('at a sample rate the server refuses', async () => {
      const r = await doctor({ sampleRate: 96_000, checks: ['auth', 'streaming'] });
      const f = find(r.findings, 'streaming.bad_sample_rate');
      expect(f.message).toMatch(/sample_rate=96000 is refused \(4000/);
      expect(f.fix).toMatch(/from 8000 to 48000/);
    });

    it('with audio the user plans to send at the wrong rate: named before anything is sent; the built-in sample still streams', async () => {
      const wav8k = await ffmpegConvert(clip, path.join(dir, 'eight.wav'), ['-ar', '8000', '-ac', '1']);
      const r = await doctor({ streamAudio: wav8k, sampleRate: 16_000, checks: ['auth', 'streaming'] });
      expect(find(r.findings, 'streaming.rate_mismatch').fix).toMatch(/Declare sample_rate=8000/);
      expect(find(r.findings, 'streaming.ok').evidence).toMatchObject({ audio: 'the built-in speech sample' });
    });

    it('raw mu-law as planned, on the v2 protocol', async () => {
      const raw = await ffmpegConvert(clip, path.join(dir, 'a.ulaw'), ['-ar', '16000', '-ac', '1', '-f', 'mulaw']);
      const r = await doctor({
        streamAudio: raw,
        sampleRate: 16_000,
        encoding: 'pcm_mulaw',
        streamingProtocol: 'v2',
        checks: ['auth', 'streaming'],
      });
      find(r.findings, 'streaming.format_plausible');
      expect(find(r.findings, 'streaming.ok').evidence).toMatchObject({ protocol: 'v2', audio: raw, close: { code: 1000 } });
    });

    it('a temporary token used twice: refused, fix says tokens are single-use', async () => {
      const { token } = (await (await api(server, '/v3/token?expires_in_seconds=60')).json()) as { token: string };
      expect(find((await doctor({ token, checks: ['streaming'] })).findings, 'streaming.ok')).toBeDefined();
      const again = find((await doctor({ token, checks: ['streaming'] })).findings, 'streaming.unauthorized');
      expect(again.fix).toMatch(/single-use/);
    });

    it('a token expiry out of range', async () => {
      const r = await doctor({ tokenExpiresInSeconds: 3600, checks: ['auth', 'streaming'] });
      expect(find(r.findings, 'streaming.token_expiry_invalid').fix).toMatch(/1–600/);
    });
  });

  it("LeMUR on a completed transcript: ready, sized against the server's model context", async () => {
    const up = await api(server, '/v2/upload', { method: 'POST', body: fs.readFileSync(clip) });
    const { upload_url } = (await up.json()) as { upload_url: string };
    const { id } = (await (await api(server, '/v2/transcript', { method: 'POST', json: { audio_url: upload_url } })).json()) as {
      id: string;
    };
    await waitForTranscript(server, id);
    const r = await doctor({ transcriptId: id, lemur: true, checks: ['auth', 'lemur'] });
    const f = find(r.findings, 'lemur.ready');
    expect(f.evidence).toMatchObject({ context_tokens: 1024, context_source: 'llama-2-tiny-random on this server (/v1/models)' });
  });
});
