import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorReport, Finding } from '../../src/doctor/finding.js';
import { startReceiver } from '../helpers/receiver.js';
import { api, runCli, startServer, type TestServer } from '../helpers/server.js';

/**
 * GET /v2/doctor (Earshot extension) on a server in public mode (EARSHOT_PUBLIC=true): the checks run
 * inside the server, so a localhost URL is judged the way the server will treat it, refused.
 */
const find = (f: Finding[], code: string) => {
  const hit = f.find((x) => x.code === code);
  if (!hit) throw new Error(`${code} not in ${JSON.stringify(f.map((x) => x.code))}`);
  return hit;
};

describe('GET /v2/doctor, on a server in public mode', () => {
  let server: TestServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver();
    server = await startServer({ env: { EARSHOT_PUBLIC: 'true' } });
  });
  afterAll(async () => {
    await server?.destroy();
    await receiver?.close();
  });

  const doctor = async (query: string) => {
    const res = await api(server, `/v2/doctor${query}`);
    return { status: res.status, body: (await res.json()) as DoctorReport & { error?: string } };
  };

  it('needs a key, like every API route', async () => {
    const res = await fetch(`${server.url}/v2/doctor`);
    expect(res.status).toBe(401);
  });

  it('by default: reach, auth and a streaming session against itself, all passing, as JSON the console can show', async () => {
    const { status, body } = await doctor('');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      version: 1,
      vantage: 'server',
      result: 'pass',
      exit_code: 0,
      checks: ['reach', 'auth', 'streaming'],
      target: { base_url: server.url, kind: 'self-hosted', earshot: true },
    });
    for (const c of ['reach.api', 'auth.ok', 'streaming.ok']) find(body.findings, c);
    for (const f of body.findings) expect(f.code).toMatch(/^[a-z]+\.[a-z_]+$/);
  });

  it('a localhost audio URL is refused the way the server will refuse it: public mode, fix: upload', async () => {
    const { body } = await doctor(`?checks=audio&audio=${encodeURIComponent(`${receiver.url}/meeting.mp3`)}`);
    const f = find(body.findings, 'audio.url_private');
    expect(f.severity).toBe('fail');
    expect(f.message).toMatch(/public mode \(EARSHOT_PUBLIC=true\)/);
    expect(f.fix).toMatch(/POST \/v2\/upload/);
    expect(receiver.received).toHaveLength(0);
  });

  it('a localhost webhook is refused the same way, fix: a tunnel; nothing is sent', async () => {
    const { body } = await doctor(`?checks=webhook&webhook_url=${encodeURIComponent(`${receiver.url}/hook`)}`);
    expect(find(body.findings, 'webhook.private_address').fix).toMatch(/ngrok http \d+/);
    expect(receiver.received).toHaveLength(0);
  });

  it('the CLI asks the server: the audio finding comes from the server, and the submitted transcript fails with the download error explained', async () => {
    const { code, stdout } = await runCli(
      ['doctor', '--server', server.url, '--api-key', server.key, '--audio', `${receiver.url}/meeting.mp3`, '--submit', '--json'],
      process.env,
    );
    const r = JSON.parse(stdout) as DoctorReport;
    expect(code).toBe(2);
    expect(find(r.findings, 'audio.url_private').evidence).toMatchObject({ checked_from: 'server' });
    const d = find(r.findings, 'lifecycle.download_error');
    expect(d.fix).toMatch(/public mode \(EARSHOT_PUBLIC=true\) refuses it.*POST \/v2\/upload/);
  });

  it('checks a pasted curl as text only (nothing is replayed from the server)', async () => {
    const curl = `curl ${server.url}/v2/transcript -H "authorization: Bearer ${server.key}"`;
    const { body } = await doctor(`?checks=request&curl=${encodeURIComponent(curl)}`);
    expect(body.findings.map((f) => f.code)).toEqual(['request.bearer_prefix']);
  });

  it('refuses bad parameters: a path instead of a URL, an unknown check', async () => {
    expect(await doctor('?audio=/etc/passwd')).toMatchObject({ status: 400, body: { error: 'audio must be an http(s) URL' } });
    expect((await doctor('?checks=reach,xray')).body.error).toMatch(/unknown check\(s\) xray/);
    expect((await doctor('?wait_seconds=9999')).status).toBe(400);
  });
});
