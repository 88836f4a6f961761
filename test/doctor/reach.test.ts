import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFleetStorage, normalizeBaseUrl } from '../../src/doctor/reach.js';
import { runDoctor } from '../../src/doctor/runner.js';
import { freePort } from '../helpers/server.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** Answers like the API: 401 JSON without a key. */
const apiLike: Handler = (req, res) => {
  if (req.url === '/api/v2/summary.json') return res.writeHead(404).end();
  res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"Authentication error, API token missing/invalid"}');
};

const servers: (http.Server | https.Server)[] = [];
async function listen(server: http.Server | https.Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}
const plain = (h: Handler) => listen(http.createServer(h));

const reach = async (baseUrl: string, extra: Record<string, unknown> = {}) =>
  (await runDoctor({ baseUrl, checks: ['reach'], ...extra })).findings;
const codes = (f: { code: string }[]) => f.map((x) => x.code);

describe('reach', () => {
  let tlsPort: number;
  beforeAll(async () => {
    const pems = await generate([{ name: 'commonName', value: 'doctor test' }], {
      keyType: 'ec',
      curve: 'P-256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    });
    tlsPort = await listen(https.createServer({ cert: pems.cert, key: pems.private }, apiLike));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  });

  it('a healthy API: TCP, answers like the API, latency', async () => {
    const port = await plain(apiLike);
    const f = await reach(`http://127.0.0.1:${port}`);
    expect(codes(f)).toEqual(['reach.tcp', 'reach.api', 'reach.latency']);
    expect(f.every((x) => x.severity === 'pass')).toBe(true);
  });

  it('nothing listening: refused, fix says to start the server', async () => {
    const f = await reach(`http://127.0.0.1:${await freePort()}`);
    expect(codes(f)).toEqual(['reach.tcp_refused']);
    expect(f[0]!.fix).toMatch(/earshot serve/);
  });

  it('a name that does not resolve', async () => {
    const f = await reach('http://no-such-host.invalid:8976');
    expect(codes(f)).toEqual(['reach.plain_http', 'reach.dns_failed']);
  });

  it('a self-signed certificate fails with how to trust it, and the rest is still checked', async () => {
    const f = await reach(`https://127.0.0.1:${tlsPort}`);
    expect(codes(f)).toEqual(['reach.tcp', 'reach.tls_self_signed', 'reach.api', 'reach.latency']);
    expect(f[1]!.fix).toMatch(/NODE_EXTRA_CA_CERTS/);
  });

  it('https:// to a plain port, and http:// to a TLS port', async () => {
    const port = await plain(apiLike);
    expect(codes(await reach(`https://127.0.0.1:${port}`))).toEqual(['reach.tcp', 'reach.not_tls']);
    expect(codes(await reach(`http://127.0.0.1:${tlsPort}`))).toEqual(['reach.tcp', 'reach.expects_https']);
  });

  it('a web page, a proxy error and a redirect are not the API', async () => {
    const html = await plain((_q, r) => r.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>'));
    expect(codes(await reach(`http://127.0.0.1:${html}`))).toContain('reach.not_api');
    const bad = await plain((_q, r) => r.writeHead(502).end('Bad Gateway'));
    expect(codes(await reach(`http://127.0.0.1:${bad}`))).toContain('reach.server_error');
    const moved = await plain((_q, r) => r.writeHead(301, { location: 'https://api.example.com/v2/transcript' }).end());
    const f = await reach(`http://127.0.0.1:${moved}`);
    expect(f.find((x) => x.code === 'reach.redirects')!.fix).toMatch(/https:\/\/api\.example\.com/);
  });

  it('live nodes that do not share a disk: a warning with the fix; one node or a shared store: nothing', () => {
    const [w, ...rest] = checkFleetStorage({ liveNodes: 3, apart: 2 });
    expect(rest).toEqual([]);
    expect(w).toMatchObject({ code: 'reach.storage_not_shared', severity: 'warn', evidence: { live_nodes: 3, nodes_apart: 2 } });
    expect(w!.message).toContain(
      "3 live nodes share this server's database, but not a disk (2 keep uploads where this node cannot read them)",
    );
    expect(w!.fix).toMatch(/^Set EARSHOT_STORAGE_URL=s3:\/\/BUCKET/);
    expect(checkFleetStorage({ liveNodes: 1, apart: 0 })).toEqual([]);
    expect(checkFleetStorage({ liveNodes: 3, apart: 0 })).toEqual([]);
  });

  it('a base URL with a path is a warning; the root is used', () => {
    const { base, findings } = normalizeBaseUrl('https://api.assemblyai.com/v2/');
    expect(base!.href).toBe('https://api.assemblyai.com/');
    expect(codes(findings)).toEqual(['reach.base_url_path']);
    expect(findings[0]!.fix).toBe('Use the server root: https://api.assemblyai.com.');
  });

  it("a clock far off the server's", async () => {
    const port = await plain((req, res) => {
      res.setHeader('date', new Date(Date.now() - 10 * 60_000).toUTCString());
      apiLike(req, res);
    });
    const f = await reach(`http://127.0.0.1:${port}`);
    expect(f.find((x) => x.code === 'reach.clock_skew')!.message).toMatch(/ahead of the server's/);
  });

  it('the status page: an outage fails, all clear passes', async () => {
    let indicator = 'major';
    const port = await plain((req, res) => {
      if (req.url === '/status.json') {
        return res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            status: { indicator, description: indicator === 'none' ? 'All Systems Operational' : 'Major outage' },
            incidents: indicator === 'none' ? [] : [{ name: 'Transcription delays', status: 'investigating' }],
            components: [],
          }),
        );
      }
      apiLike(req, res);
    });
    const outage = await reach(`http://127.0.0.1:${port}`, { statusUrl: `http://127.0.0.1:${port}/status.json` });
    expect(outage.find((x) => x.code === 'reach.status_outage')!.message).toMatch(/Transcription delays/);
    indicator = 'none';
    const clear = await reach(`http://127.0.0.1:${port}`, { statusUrl: `http://127.0.0.1:${port}/status.json` });
    expect(clear.find((x) => x.code === 'reach.status')!.severity).toBe('pass');
  });
});
