import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { api, freePort, runCli, startServer, type TestServer } from './helpers/server.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..');

interface HttpsAnswer {
  status: number;
  body: unknown;
  fingerprint256: string;
}

/** A GET over HTTPS trusting only `ca`; `servername` is the name the certificate is checked against. */
function httpsGet(url: string, opts: { ca?: string; servername?: string; headers?: Record<string, string> } = {}): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca: opts.ca, servername: opts.servername, headers: opts.headers, agent: false }, (res) => {
      const fingerprint256 = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text), fingerprint256 }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

describe('HTTPS with EARSHOT_TLS=self-signed', () => {
  let server: TestServer;
  let certPath: string;
  let ca: string;

  beforeAll(async () => {
    server = await startServer({ env: { EARSHOT_TLS: 'self-signed' } });
    certPath = path.join(server.dataDir, 'tls', 'cert.pem');
    ca = fs.readFileSync(certPath, 'utf8');
  });
  afterAll(() => server?.destroy());

  it('announces the HTTPS URL next to the HTTP one, and how to trust the certificate', () => {
    const port = server.env.EARSHOT_TLS_PORT;
    expect(server.tlsUrl).toBe(`https://127.0.0.1:${port}`);
    const out = server.output();
    expect(out).toContain(`Earshot listening on ${server.url} and https://127.0.0.1:${port} (`);
    expect(out).toContain('self-signed certificate, created now, for localhost, ');
    expect(out).toContain(`  ${certPath}\n`);
    expect(out).toContain(`SHA-256 ${new X509Certificate(ca).fingerprint256}`);
    expect(out).toContain(`NODE_EXTRA_CA_CERTS=${certPath} `);
    expect(out).toContain(`curl --cacert ${certPath} https://127.0.0.1:${port}/health`);
    expect(out).toContain(`sudo cp ${certPath} /usr/local/share/ca-certificates/earshot.crt && sudo update-ca-certificates`);
  });

  it('serves the same API over HTTPS, to clients that trust the certificate', async () => {
    const health = await httpsGet(`${server.tlsUrl}/health`, { ca });
    expect(health).toMatchObject({ status: 200, body: { status: 'ok' } });

    const list = await httpsGet(`${server.tlsUrl}/v2/transcript`, { ca, headers: { authorization: server.key } });
    expect(list.status).toBe(200);
    // Links point back at the scheme the client used.
    expect((list.body as { page_details: { current_url: string } }).page_details.current_url).toBe(`${server.tlsUrl}/v2/transcript`);
    expect(await httpsGet(`${server.tlsUrl}/v2/transcript`, { ca })).toMatchObject({ status: 401 });

    // And HTTP goes on as before.
    const plain = await api(server, '/v2/transcript');
    expect(plain.status).toBe(200);
    expect(((await plain.json()) as { page_details: { current_url: string } }).page_details.current_url).toBe(
      `${server.url}/v2/transcript`,
    );
  });

  it('is refused by clients that do not trust it, or that reach it by a name it does not cover', async () => {
    await expect(httpsGet(`${server.tlsUrl}/health`)).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    await expect(httpsGet(`${server.tlsUrl}/health`, { ca, servername: 'example.com' })).rejects.toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
  });

  it('covers localhost, 127.0.0.1, ::1 and this machine by name', async () => {
    const x509 = new X509Certificate(ca);
    const sans = x509.subjectAltName!.split(', ');
    expect(sans).toEqual(expect.arrayContaining(['DNS:localhost', 'IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1']));
    const hostname = os.hostname().toLowerCase();
    if (/^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(hostname) && hostname !== 'localhost') expect(sans).toContain(`DNS:${hostname}`);
    // A client that checks the name it connected by: localhost and the hostname (the server listens on 127.0.0.1 only).
    for (const name of ['localhost', hostname]) {
      expect((await httpsGet(`${server.tlsUrl}/health`, { ca, servername: name })).status).toBe(200);
    }
    // Served as it is on disk.
    expect((await httpsGet(`${server.tlsUrl}/health`, { ca })).fingerprint256).toBe(x509.fingerprint256);
  });

  it('answers curl --cacert', async () => {
    const { stdout } = await run('curl', ['-sS', '--cacert', certPath, `${server.tlsUrl}/health`]);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'ok' });
  });

  it('serves WebSocket streaming as wss://', async () => {
    const url = `${server.tlsUrl!.replace('https', 'wss')}/v3/ws?sample_rate=16000`;
    const untrusting = new WebSocket(url, { headers: { authorization: server.key } });
    await expect(new Promise((_, reject) => untrusting.once('error', reject))).rejects.toMatchObject({
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });

    const ws = new WebSocket(url, { ca, headers: { authorization: server.key } });
    const begin = await new Promise<Record<string, unknown>>((resolve, reject) => {
      ws.once('message', (data) => resolve(JSON.parse(data.toString()) as Record<string, unknown>));
      ws.once('error', reject);
    });
    expect(begin.type).toBe('Begin');
    ws.send(JSON.stringify({ type: 'Terminate' }));
    expect(await new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))).toBe(1000);
  });

  it('works for the AssemblyAI Node SDK, which accepts only wss://, given NODE_EXTRA_CA_CERTS', async () => {
    const script = `
      import { StreamingTranscriber } from 'assemblyai';
      const t = new StreamingTranscriber({ websocketBaseUrl: process.env.WS_URL, apiKey: process.env.KEY, sampleRate: 16000 });
      const begin = await t.connect();
      console.log('BEGIN ' + begin.id);
      await t.close();
      console.log('CLOSED');
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      env: { ...process.env, NODE_EXTRA_CA_CERTS: certPath, WS_URL: `${server.tlsUrl!.replace('https', 'wss')}/v3/ws`, KEY: server.key },
      timeout: 30_000,
    });
    expect(stdout).toMatch(/^BEGIN [0-9a-f-]{36}\nCLOSED\n$/);
  });

  it('keeps the certificate across restarts', async () => {
    const before = new X509Certificate(ca).fingerprint256;
    await server.stop();
    await server.restart();
    expect(server.output()).toContain('self-signed certificate, kept from an earlier start');
    expect(new X509Certificate(fs.readFileSync(certPath)).fingerprint256).toBe(before);
    expect((await httpsGet(`${server.tlsUrl}/health`, { ca })).fingerprint256).toBe(before);
  });
});

describe('HTTPS with EARSHOT_TLS_CERT and EARSHOT_TLS_KEY', () => {
  let server: TestServer;
  let dir: string;
  let cert: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-tls-files-'));
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'rsa', algorithm: 'sha256' });
    cert = pems.cert;
    fs.writeFileSync(path.join(dir, 'server.crt'), pems.cert);
    fs.writeFileSync(path.join(dir, 'server.key'), pems.private);
    server = await startServer({ env: { EARSHOT_TLS_CERT: path.join(dir, 'server.crt'), EARSHOT_TLS_KEY: path.join(dir, 'server.key') } });
  });
  afterAll(async () => {
    await server?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves HTTPS with that certificate, and HTTP still', async () => {
    expect(server.tlsUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const answer = await httpsGet(`${server.tlsUrl}/v2/transcript`, { ca: cert, headers: { authorization: server.key } });
    expect(answer.status).toBe(200);
    expect(answer.fingerprint256).toBe(new X509Certificate(cert).fingerprint256);
    expect((await api(server, '/health')).status).toBe(200);
    // Nothing self-signed to explain, nothing written to the data dir.
    expect(server.output()).not.toContain('self-signed');
    expect(fs.existsSync(path.join(server.dataDir, 'tls'))).toBe(false);
  });
});

describe('a bad TLS configuration stops `earshot serve` with the setting named', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let cert: string;
  let key: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-tls-bad-'));
    const a = await generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', algorithm: 'sha256' });
    const b = await generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', algorithm: 'sha256' });
    cert = path.join(dir, 'a.crt');
    key = path.join(dir, 'b.key');
    fs.writeFileSync(cert, a.cert);
    fs.writeFileSync(key, b.private);
    env = {
      ...process.env,
      EARSHOT_DATA_DIR: path.join(dir, 'data'),
      EARSHOT_PORT: String(await freePort()),
      EARSHOT_HOST: '127.0.0.1',
      EARSHOT_ENGINE: 'pocketsphinx',
      EARSHOT_API_KEY: 'tls-test-key-0123456789',
      EARSHOT_LOG_LEVEL: 'warn',
    };
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each([
    [
      'only a certificate',
      () => ({ EARSHOT_TLS_CERT: cert }),
      /^earshot: EARSHOT_TLS_CERT \/ --tls-cert is set but EARSHOT_TLS_KEY \/ --tls-key is not/,
    ],
    [
      'a certificate file that is not there',
      () => ({ EARSHOT_TLS_CERT: path.join(dir, 'gone.crt'), EARSHOT_TLS_KEY: key }),
      /^earshot: EARSHOT_TLS_CERT \/ --tls-cert: cannot read .*gone\.crt: no such file/,
    ],
    [
      'a key that is no PEM',
      () => ({ EARSHOT_TLS_CERT: cert, EARSHOT_TLS_KEY: cert }),
      /^earshot: EARSHOT_TLS_KEY \/ --tls-key: .*a\.crt is not a PEM private key/,
    ],
    [
      'a key that does not match',
      () => ({ EARSHOT_TLS_CERT: cert, EARSHOT_TLS_KEY: key }),
      /^earshot: EARSHOT_TLS_KEY \/ --tls-key: .*b\.key is not the private key of the certificate in .*a\.crt/,
    ],
    [
      'an unknown EARSHOT_TLS',
      () => ({ EARSHOT_TLS: 'yes' }),
      /^earshot: Invalid EARSHOT_TLS \/ --tls: expected "off" or "self-signed", got "yes"/,
    ],
  ])('%s', async (_name, extra, message) => {
    const started = Date.now();
    const out = await runCli(['serve'], { ...env, ...extra() });
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(message);
    expect(out.stdout).not.toContain('Earshot listening');
    // Refused before the database or engines are opened.
    expect(fs.existsSync(path.join(dir, 'data', 'db'))).toBe(false);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('flags work as well as the environment', async () => {
    const out = await runCli(['serve', '--tls-key', key], env);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/^earshot: EARSHOT_TLS_KEY \/ --tls-key is set but EARSHOT_TLS_CERT \/ --tls-cert is not/);
  });

  it('a TLS port already taken: names EARSHOT_TLS_PORT and exits', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      const out = await runCli(['serve'], { ...env, EARSHOT_TLS: 'self-signed', EARSHOT_TLS_PORT: String(taken) });
      expect(out.code).toBe(1);
      expect(out.stderr).toMatch(
        new RegExp(`^earshot: EARSHOT_TLS_PORT / --tls-port: listen EADDRINUSE: address already in use 127\\.0\\.0\\.1:${taken}`),
      );
    } finally {
      blocker.close();
    }
  });
});
