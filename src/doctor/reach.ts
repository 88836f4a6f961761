import { promises as dns } from 'node:dns';
import net from 'node:net';
import tls from 'node:tls';
import type { DoctorContext, ServerFacts } from './context.js';
import { findingsFor, isLoopbackHost, type Finding } from './finding.js';
import type { NetError, HttpAnswer } from './http.js';

const f = findingsFor('reach');
const CONNECT_TIMEOUT_MS = 5_000;
const SLOW_MS = 2_000;
const CLOCK_SKEW_S = 60;
const EXPIRING_DAYS = 14;
export const ASSEMBLYAI_STATUS_URL = 'https://status.assemblyai.com/api/v2/summary.json';

const bare = (h: string) => h.replace(/^\[|\]$/g, '');
const portOf = (u: URL) => Number(u.port || (u.protocol === 'https:' ? 443 : 80));

/** Where a wrong-looking base URL goes wrong, and the URL the other checks should use. */
export function normalizeBaseUrl(raw: string): { base: URL | null; findings: Finding[] } {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    return {
      base: null,
      findings: [
        f.fail(
          'bad_url',
          `The base URL "${raw}" is not a URL.`,
          'Give the server root, e.g. https://api.assemblyai.com or http://127.0.0.1:8976.',
        ),
      ],
    };
  }
  if (url.protocol === 'ws:' || url.protocol === 'wss:') {
    const fixed = new URL(url.href.replace(/^ws/, 'http'));
    return {
      base: new URL(fixed.origin),
      findings: [
        f.warn(
          'websocket_base_url',
          `The base URL is a WebSocket URL (${url.protocol}); REST calls need http(s).`,
          `Use ${fixed.origin} as the base URL; streaming URLs are derived from it.`,
        ),
      ],
    };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return {
      base: null,
      findings: [
        f.fail(
          'bad_url',
          `The base URL uses ${url.protocol}, not http(s).`,
          'Give the server root, e.g. https://api.assemblyai.com or http://127.0.0.1:8976.',
        ),
      ],
    };
  }
  const findings: Finding[] = [];
  if (url.pathname !== '/' || url.search) {
    findings.push(
      f.warn(
        'base_url_path',
        `The base URL has a path (${url.pathname}${url.search}); the SDKs add /v2/… themselves, so requests go to ${url.pathname.replace(/\/$/, '')}/v2/….`,
        `Use the server root: ${url.origin}.`,
        { given: raw },
      ),
    );
  }
  return { base: new URL(url.origin), findings };
}

async function connectTcp(host: string, port: number): Promise<number> {
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const socket = net.connect({ host, port, timeout: CONNECT_TIMEOUT_MS });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }));
    });
    socket.once('error', reject);
  });
  return Math.round(performance.now() - started);
}

interface TlsFacts {
  authorized: boolean;
  error: string | null;
  issuer: string;
  subject: string;
  validTo: Date | null;
  protocol: string | null;
  selfIssued: boolean;
}

function tlsHandshake(hostname: string, port: number): Promise<TlsFacts> {
  return new Promise((resolve, reject) => {
    const host = bare(hostname);
    const socket = tls.connect({
      host,
      port,
      servername: net.isIP(host) ? undefined : host,
      rejectUnauthorized: false,
      timeout: CONNECT_TIMEOUT_MS,
    });
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      const name = (o: Record<string, unknown> | undefined) => String(o?.CN ?? o?.O ?? '?');
      resolve({
        authorized: socket.authorized,
        error: socket.authorizationError ? String((socket.authorizationError as Error).message ?? socket.authorizationError) : null,
        issuer: name(cert.issuer as unknown as Record<string, unknown>),
        subject: name(cert.subject as unknown as Record<string, unknown>),
        validTo: cert.valid_to ? new Date(cert.valid_to) : null,
        protocol: socket.getProtocol(),
        selfIssued: JSON.stringify(cert.issuer) === JSON.stringify(cert.subject),
      });
      socket.destroy();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(Object.assign(new Error('TLS handshake timed out'), { code: 'ETIMEDOUT' }));
    });
    socket.once('error', reject);
  });
}

/** The certificate problem a client library will refuse, with how to fix it for this kind of target. */
function tlsFinding(ctx: DoctorContext, t: TlsFacts): Finding | null {
  const evidence = { error: t.error, issuer: t.issuer, subject: t.subject, valid_to: t.validTo?.toISOString() ?? null };
  const cloud = ctx.kind === 'assemblyai';
  const trust = cloud
    ? 'A proxy or antivirus is intercepting TLS: add its CA certificate to your trust store (Node: NODE_EXTRA_CA_CERTS=ca.pem; Python: SSL_CERT_FILE=ca.pem).'
    : 'Trust it on each client (Node: NODE_EXTRA_CA_CERTS=<data-dir>/tls/cert.pem; Python: SSL_CERT_FILE or REQUESTS_CA_BUNDLE; curl: --cacert), or serve a CA-issued certificate (EARSHOT_TLS_CERT, EARSHOT_TLS_KEY).';
  switch (t.error) {
    case null:
      return null;
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return f.fail('tls_self_signed', `The certificate is self-signed (issuer "${t.issuer}"): SDKs and curl refuse it.`, trust, evidence);
    case 'CERT_HAS_EXPIRED':
      return f.fail(
        'tls_expired',
        `The certificate expired on ${t.validTo?.toISOString().slice(0, 10)}.`,
        cloud
          ? "Check this machine's clock; if it is right, a proxy is serving an old certificate."
          : 'Renew it (a self-signed Earshot certificate renews on restart; otherwise replace EARSHOT_TLS_CERT).',
        evidence,
      );
    case 'CERT_NOT_YET_VALID':
      return f.fail(
        'tls_not_yet_valid',
        "The certificate is not valid yet: this machine's clock is probably behind.",
        'Sync the clock (timedatectl set-ntp true).',
        evidence,
      );
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return f.fail(
        'tls_hostname',
        `The certificate (for "${t.subject}") does not cover ${ctx.base.hostname}.`,
        'Connect with a host name the certificate names, or issue a certificate for this one.',
        evidence,
      );
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_GET_ISSUER_CERT':
      return f.fail(
        'tls_untrusted',
        `The certificate chain does not lead to a trusted CA (${t.error}).`,
        cloud
          ? trust
          : 'Serve the full chain (server certificate, then intermediates, in EARSHOT_TLS_CERT), or trust the issuing CA on the clients.',
        evidence,
      );
    default:
      return f.fail('tls_untrusted', `The certificate is not trusted: ${t.error}.`, trust, evidence);
  }
}

/** The code of the finding below: the CLI asks the server for it (only the server knows its fleet). */
export const STORAGE_NOT_SHARED = 'reach.storage_not_shared';

/** Live nodes that do not share a store (local disks): an upload is readable only on the node that took it, so jobs another node runs fail. */
export function checkFleetStorage(fleet: NonNullable<ServerFacts['fleet']>): Finding[] {
  if (fleet.apart === 0) return [];
  return [
    f.warn(
      STORAGE_NOT_SHARED.slice('reach.'.length),
      `${fleet.liveNodes} live nodes share this server's database, but not a disk (${fleet.apart} keep uploads where this node cannot read them): an upload is readable only on the node that took it, and a transcript of it run on another node fails.`,
      'Set EARSHOT_STORAGE_URL=s3://BUCKET[/PREFIX] (and EARSHOT_S3_ENDPOINT for MinIO, Garage or another non-AWS store) on every node: see docs/storage.md.',
      { live_nodes: fleet.liveNodes, nodes_apart: fleet.apart, storage: 'local' },
    ),
  ];
}

/** The unauthenticated probe every API answers the same way: 401 with `{"error": …}`. */
async function probe(ctx: DoctorContext): Promise<HttpAnswer> {
  return ctx.api.call('GET', '/v2/transcript?limit=1', { timeoutMs: 10_000 });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function statusPage(ctx: DoctorContext): Promise<Finding[]> {
  const url = ctx.opts.statusUrl ?? (ctx.kind === 'assemblyai' ? ASSEMBLYAI_STATUS_URL : new URL('/api/v2/summary.json', ctx.base).href);
  let a: HttpAnswer;
  try {
    a = await ctx.api.call('GET', url, { timeoutMs: 5_000 });
  } catch (err) {
    return ctx.kind === 'assemblyai'
      ? [f.skip('status_unavailable', `The status page ${url} could not be read (${(err as Error).message}).`)]
      : [];
  }
  const s = a.json as
    | {
        status?: { indicator?: string; description?: string };
        incidents?: { name?: string; status?: string; shortlink?: string }[];
        components?: { name?: string; status?: string }[];
      }
    | undefined;
  if (a.status !== 200 || !s?.status?.indicator) {
    return ctx.kind === 'assemblyai' || ctx.opts.statusUrl
      ? [f.skip('status_unavailable', `The status page ${url} answered ${a.status} without a status.`)]
      : [];
  }
  const incidents = (s.incidents ?? []).filter((i) => i.status !== 'resolved').map((i) => i.name);
  const degraded = (s.components ?? []).filter((c) => c.status && c.status !== 'operational').map((c) => `${c.name}: ${c.status}`);
  const evidence = { url, indicator: s.status.indicator, description: s.status.description, incidents, degraded };
  const what = [s.status.description, ...incidents].filter(Boolean).join('; ');
  switch (s.status.indicator) {
    case 'none':
      return [f.pass('status', `Status page: ${s.status.description ?? 'operational'}.`, undefined, evidence)];
    case 'minor':
    case 'maintenance':
      return [
        f.warn(
          'status_degraded',
          `The service reports a problem: ${what}.`,
          'Retry failed requests with backoff; follow the status page for updates.',
          evidence,
        ),
      ];
    default:
      return [
        f.fail(
          'status_outage',
          `The service reports an outage: ${what}.`,
          'Nothing to fix on your side: retry later and follow the status page.',
          evidence,
        ),
      ];
  }
}

/**
 * Reach: DNS, TCP, TLS, whether the base URL answers like the API, latency, clock, and the
 * service's status page. Returns false when the target cannot be reached at all.
 */
export async function checkReach(ctx: DoctorContext): Promise<{ findings: Finding[]; reachable: boolean }> {
  const out: Finding[] = [];
  const { base } = ctx;
  const host = bare(base.hostname);
  const port = portOf(base);

  if (base.protocol === 'http:' && !isLoopbackHost(host)) {
    out.push(
      f.warn(
        'plain_http',
        `${base.origin} is plain HTTP: the API key and the audio cross the network unencrypted.`,
        ctx.kind === 'assemblyai' ? 'Use https://.' : 'Serve HTTPS (earshot serve --tls self-signed, or a TLS proxy) and use https://.',
      ),
    );
  }

  // DNS
  let addresses: string[] = [host];
  if (net.isIP(host) === 0) {
    try {
      addresses = (await dns.lookup(host, { all: true })).map((a) => a.address);
      out.push(f.pass('dns', `${host} resolves to ${addresses.join(', ')}.`, undefined, { addresses }));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const hint =
        /assembl/i.test(host) && ctx.kind !== 'assemblyai' ? " AssemblyAI's API is api.assemblyai.com (EU: api.eu.assemblyai.com)." : '';
      out.push(
        f.fail(
          'dns_failed',
          `${host} does not resolve (${code}).${hint}`,
          'Check the host name for typos, and that this machine has DNS (and a proxy if it needs one).',
          { code },
        ),
      );
      return { findings: out, reachable: false };
    }
  }

  // TCP
  try {
    const ms = await connectTcp(host, port);
    out.push(f.pass('tcp', `Port ${port} accepts connections (${ms} ms).`, undefined, { port, connect_ms: ms }));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const local = isLoopbackHost(host);
    if (code === 'ECONNREFUSED') {
      out.push(
        f.fail(
          'tcp_refused',
          `Nothing listens on ${host}:${port}.`,
          local
            ? `Start the server (earshot serve; it listens on EARSHOT_PORT, default 8976), or fix the port in the base URL.`
            : 'Check the port, that the server runs, and the firewall.',
          { port, code },
        ),
      );
    } else {
      out.push(
        f.fail(
          'tcp_timeout',
          `${host}:${port} does not answer (${code}).`,
          'A firewall, VPN or proxy is in the way: check them, or set HTTPS_PROXY if this network needs a proxy.',
          { port, code },
        ),
      );
    }
    return { findings: out, reachable: false };
  }

  // TLS
  if (base.protocol === 'https:') {
    try {
      const t = await tlsHandshake(host, port);
      const bad = tlsFinding(ctx, t);
      if (bad) {
        // Inside the server this is about its own certificate: clients must trust it, the server need not.
        out.push(ctx.vantage === 'server' ? { ...bad, severity: 'warn' } : bad);
        // Reported once here; the other checks go on without certificate checks to find the rest.
        await ctx.api.allowInsecure();
      } else {
        const days = t.validTo ? Math.floor((t.validTo.getTime() - Date.now()) / 86_400_000) : null;
        if (days !== null && days < EXPIRING_DAYS) {
          out.push(
            f.warn('tls_expiring', `The certificate expires in ${days} day(s).`, 'Renew it before then.', {
              valid_to: t.validTo?.toISOString(),
            }),
          );
        } else {
          out.push(
            f.pass(
              'tls',
              `TLS certificate valid (issuer "${t.issuer}", ${t.protocol}${days !== null ? `, ${days} days left` : ''}).`,
              undefined,
              { issuer: t.issuer, valid_to: t.validTo?.toISOString() },
            ),
          );
        }
      }
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EPROTO' || /wrong version number|packet length too long/i.test(e.message)) {
        out.push(
          f.fail(
            'not_tls',
            `${host}:${port} speaks plain HTTP, not HTTPS.`,
            `Use http://${base.host}, or Earshot's TLS port (EARSHOT_TLS_PORT, default 8977) if TLS is on.`,
            { code: e.code },
          ),
        );
      } else {
        out.push(f.fail('tls_failed', `The TLS handshake failed: ${e.message}.`, 'Check that this port serves HTTPS.', { code: e.code }));
      }
      return { findings: out, reachable: false };
    }
  }

  // Does it answer like the API?
  const answers: HttpAnswer[] = [];
  try {
    for (let i = 0; i < 3; i++) answers.push(await probe(ctx));
  } catch (err) {
    const e = err as NetError;
    if (base.protocol === 'http:' && e.kind === 'reset') {
      out.push(
        f.fail(
          'expects_https',
          `${base.host} closed the connection on a plain HTTP request: it probably speaks HTTPS.`,
          `Use https://${base.host}.`,
          { code: e.code },
        ),
      );
    } else {
      out.push(
        f.fail('no_answer', `GET /v2/transcript got no answer: ${e.message}.`, 'Check that the base URL points at the API server.', {
          kind: e.kind,
          code: e.code,
        }),
      );
    }
    return { findings: out, reachable: false };
  }
  const first = answers[0]!;
  const type = first.headers['content-type'] ?? '';
  const evidence = { status: first.status, content_type: type };
  if (first.status >= 300 && first.status < 400) {
    const location = first.headers.location ?? '';
    out.push(
      f.fail(
        'redirects',
        `${base.origin} redirects API calls to ${location || 'another URL'}; SDKs do not follow redirects on POST.`,
        `Use the final address as the base URL${location ? ` (${new URL(location, base).origin})` : ''}.`,
        { ...evidence, location },
      ),
    );
  } else if (first.status >= 500) {
    out.push(
      f.fail(
        'server_error',
        `GET /v2/transcript answered ${first.status}: the server (or a proxy in front of it) is failing.`,
        ctx.kind === 'assemblyai'
          ? 'Retry later and check the status page.'
          : "Read the server log (and the proxy's): the API process may be down behind the proxy.",
        evidence,
      ),
    );
  } else if (first.status === 401 && typeof (first.json as { error?: unknown } | undefined)?.error === 'string') {
    out.push(f.pass('api', 'Answers like the AssemblyAI API (401 with {"error"} without a key).', undefined, evidence));
  } else if (first.status === 404 || /html/i.test(type)) {
    out.push(
      f.fail(
        'not_api',
        `GET /v2/transcript answered ${first.status} ${type || ''}: this is not an AssemblyAI-compatible API.`.replace(/ :/, ':'),
        "The base URL is the API server's root: https://api.assemblyai.com, or http://HOST:8976 for Earshot.",
        evidence,
      ),
    );
    return { findings: out, reachable: false };
  } else {
    out.push(f.pass('api', `GET /v2/transcript without a key answered ${first.status}.`, undefined, evidence));
  }

  const ms = median(answers.map((a) => a.ms));
  if (ms > SLOW_MS)
    out.push(
      f.warn(
        'slow',
        `The API takes ${ms} ms to answer (median of 3).`,
        "Expect slow polling and timeouts; check the network path (proxy, VPN) or the server's load.",
        { ms: answers.map((a) => a.ms) },
      ),
    );
  else out.push(f.pass('latency', `Latency ${ms} ms (median of 3).`, undefined, { ms: answers.map((a) => a.ms) }));

  const date = Date.parse(first.headers.date ?? '');
  if (Number.isFinite(date)) {
    const skew = Math.round((Date.now() - date) / 1000);
    if (Math.abs(skew) > CLOCK_SKEW_S) {
      out.push(
        f.warn(
          'clock_skew',
          `This machine's clock is ${Math.abs(skew)} s ${skew > 0 ? 'ahead of' : 'behind'} the server's.`,
          'Sync the clock (timedatectl set-ntp true): token and pre-signed URL expiry go wrong otherwise.',
          { skew_seconds: skew },
        ),
      );
    }
  }

  // Earshot tells itself apart: its doctor route asks for a key (401) where others have no route (404).
  if (ctx.kind === 'self-hosted' && ctx.vantage === 'client') {
    try {
      const d = await ctx.api.call('GET', '/v2/doctor', { timeoutMs: 5_000 });
      ctx.earshot = d.status === 401 || d.status === 200;
    } catch {
      ctx.earshot = false;
    }
  } else if (ctx.vantage === 'server') {
    ctx.earshot = true;
  } else {
    ctx.earshot = false;
  }

  out.push(...(await statusPage(ctx)));
  return { findings: out, reachable: true };
}
