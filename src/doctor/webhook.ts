import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import { isForbiddenAddress } from '../net/guard.js';
import { PostJsonError, safePostJson } from '../net/fetch.js';
import { authHeaders, type DoctorContext } from './context.js';
import { findingsFor, isLoopbackHost, type Finding } from './finding.js';
import { setTimeout as sleep } from 'node:timers/promises';

const f = findingsFor('webhook');
/** Upstream's rule: a 2xx within 10 s, else retried (up to 10 attempts); a 4xx is final. */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** The id sent when the doctor has no transcript of its own to name. */
export const TEST_TRANSCRIPT_ID = '00000000-0000-4000-8000-000000000000';

function tunnelFix(u: URL): string {
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  return `Expose the receiver with a tunnel and use the https URL it prints: ngrok http ${port}, or cloudflared tunnel --url http://localhost:${port}.`;
}

function rejectionFix(status: number, withAuth: boolean): string {
  if (status === 401 || status === 403) {
    return withAuth
      ? 'Your receiver refuses the auth header: make it expect the exact webhook_auth_header_name/value you set on the transcript.'
      : 'Your receiver wants credentials the service does not send: set webhook_auth_header_name/value on the transcript and check that header instead.';
  }
  if (status === 404) return 'No route at this path on your receiver: check the path (and that it is deployed).';
  if (status === 405) return 'Your receiver must accept POST at this path.';
  if (status === 400 || status === 415 || status === 422)
    return 'Your receiver refuses the payload: accept a JSON body {"transcript_id", "status"} with Content-Type: application/json.';
  return 'Answer 2xx once the delivery is received; do the work afterwards.';
}

async function isPrivateHost(hostname: string): Promise<string | null> {
  const h = hostname.replace(/^\[|\]$/g, '');
  try {
    const addresses = isIP(h) ? [h] : (await dns.lookup(h, { all: true })).map((a) => a.address);
    return addresses.find((a) => isForbiddenAddress(a)) ?? null;
  } catch {
    return null;
  }
}

/** What the service recorded for the transcript's own deliveries, waiting a little when one may be on its way. */
async function recordedDelivery(ctx: DoctorContext, transcript: Record<string, unknown>, waitMs: number): Promise<Finding[]> {
  const id = String(transcript.id);
  let t = transcript;
  const deadline = Date.now() + waitMs;
  while ((t.webhook_status_code ?? null) === null && Date.now() < deadline && (t.status === 'completed' || t.status === 'error')) {
    await sleep(500, undefined, { signal: ctx.signal });
    const a = await ctx.api.call('GET', `/v2/transcript/${id}`, { headers: authHeaders(ctx) }).catch(() => null);
    if (a?.status === 200) t = a.json as Record<string, unknown>;
  }
  const code = t.webhook_status_code;
  let deliveries: unknown;
  if (ctx.earshot) {
    const d = await ctx.api.call('GET', `/v2/transcript/${id}/webhook-deliveries`, { headers: authHeaders(ctx) }).catch(() => null);
    if (d?.status === 200) deliveries = (d.json as { deliveries?: unknown }).deliveries;
  }
  const evidence = {
    transcript_id: id,
    webhook_url: t.webhook_url,
    webhook_status_code: code ?? null,
    ...(deliveries !== undefined && { deliveries }),
  };
  if (typeof code !== 'number') {
    if (t.status !== 'completed' && t.status !== 'error') return [];
    const last = Array.isArray(deliveries) ? (deliveries[deliveries.length - 1] as { error?: string } | undefined) : undefined;
    return [
      f.warn(
        'not_delivered',
        `No webhook delivery to ${t.webhook_url} is recorded for transcript ${id}${last?.error ? ` (last attempt: ${last.error})` : ''}.`,
        'The receiver gave no HTTP answer (unreachable or too slow): see the findings above.',
        evidence,
      ),
    ];
  }
  if (code >= 200 && code < 300)
    return [f.pass('delivered', `The service delivered transcript ${id}'s webhook: your receiver answered ${code}.`, undefined, evidence)];
  return [
    f.fail(
      'delivery_failed',
      `The service's delivery for transcript ${id} got ${code} from your receiver${code >= 400 && code < 500 ? ' (a 4xx is final: no retry)' : ''}.`,
      rejectionFix(code, t.webhook_auth === true),
      evidence,
    ),
  ];
}

/**
 * Webhook: is the URL one the service can reach, then a POST of the exact payload and auth header
 * the service sends, timed against the 10 s rule. With a transcript, also what the service recorded.
 */
export async function checkWebhook(
  ctx: DoctorContext,
  input: {
    url: string | null;
    auth?: { name: string; value: string } | null;
    transcriptId?: string | null;
    transcript?: Record<string, unknown> | null;
    waitForDeliveryMs?: number;
  },
): Promise<Finding[]> {
  const out: Finding[] = [];
  const timeoutMs = ctx.opts.webhookTimeoutMs ?? WEBHOOK_TIMEOUT_MS;
  const url = input.url ?? (typeof input.transcript?.webhook_url === 'string' ? input.transcript.webhook_url : null);
  if (!url) return [];
  let u: URL;
  try {
    u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
  } catch {
    return [f.fail('invalid_url', `"${url}" is not an http(s) URL.`, 'webhook_url must be a full http(s) URL the service can POST to.')];
  }

  const serverView = ctx.vantage === 'server';
  if (!serverView) {
    const hidden = await isPrivateHost(u.hostname);
    const localTarget = isLoopbackHost(ctx.base.hostname);
    if (hidden && ctx.kind === 'assemblyai') {
      out.push(
        f.fail(
          'private_address',
          `${u.hostname} (${hidden}) is not reachable from AssemblyAI's servers: deliveries to it never arrive.`,
          tunnelFix(u),
          { address: hidden },
        ),
      );
    } else if (hidden && isLoopbackHost(u.hostname) && !localTarget) {
      out.push(
        f.fail(
          'localhost_remote',
          `${u.hostname} in webhook_url means the server's own machine (${ctx.base.host}), not yours.`,
          tunnelFix(u),
          { address: hidden },
        ),
      );
    }
  }
  if (u.protocol === 'http:' && !isLoopbackHost(u.hostname) && !(await isPrivateHost(u.hostname))) {
    out.push(
      f.warn(
        'not_https',
        `${url} is plain HTTP: deliveries (and the auth header) cross the internet unencrypted.`,
        'Serve the receiver over HTTPS.',
      ),
    );
  }

  const id = input.transcriptId ?? (typeof input.transcript?.id === 'string' ? input.transcript.id : null) ?? TEST_TRANSCRIPT_ID;
  const auth = input.auth ?? null;
  const headers: Record<string, string> = { 'user-agent': 'Earshot-Webhook/1.0 (doctor)' };
  if (auth) headers[auth.name] = auth.value;
  const payload = { transcript_id: id, status: 'completed' };
  const evidence: Record<string, unknown> = {
    url,
    payload,
    auth_header: auth?.name ?? null,
    timeout_ms: timeoutMs,
    sent_from: serverView ? 'server' : 'this machine',
  };
  ctx.progress(`webhook: POST ${url}`);
  try {
    const res = await safePostJson(url, payload, headers, {
      publicMode: serverView && (ctx.server?.publicMode ?? false),
      timeoutMs,
      guard: ctx.server?.guard,
      signal: ctx.signal,
    });
    evidence.status = res.status;
    evidence.ms = res.durationMs;
    const s = res.status;
    if (s >= 200 && s < 300) {
      if (res.durationMs > timeoutMs / 2) {
        out.push(
          f.warn(
            'slow',
            `Your receiver answered ${s} but took ${res.durationMs} ms; the limit is ${timeoutMs / 1000} s.`,
            'Answer 2xx first, then fetch and process the transcript in the background.',
            evidence,
          ),
        );
      } else {
        out.push(
          f.pass(
            'ok',
            `Your receiver answered ${s} in ${res.durationMs} ms to the exact delivery (POST {"transcript_id","status"}${auth ? ` with ${auth.name}` : ''}).`,
            undefined,
            evidence,
          ),
        );
      }
    } else if (s >= 300 && s < 400) {
      out.push(
        f.fail(
          'redirect',
          `Your receiver answered ${s} (a redirect): webhook deliveries do not follow redirects, so this counts as a failed delivery.`,
          'Use the final URL (after the redirect) as webhook_url, e.g. with https:// or the trailing slash your framework wants.',
          evidence,
        ),
      );
    } else if (s >= 400 && s < 500) {
      out.push(
        f.fail(
          'rejected',
          `Your receiver answered ${s}: a 4xx is final, the service does not retry it.`,
          rejectionFix(s, auth !== null),
          evidence,
        ),
      );
    } else {
      out.push(
        f.fail(
          'server_error',
          `Your receiver answered ${s}: the service retries (10 attempts in all, 10 s apart), then gives up.`,
          'Fix the error in your receiver (read its log): it must answer 2xx.',
          evidence,
        ),
      );
    }
  } catch (err) {
    if (!(err instanceof PostJsonError)) throw err;
    evidence.error = err.reason;
    const reason = err.reason;
    if (reason === 'timeout') {
      out.push(
        f.fail(
          'timeout',
          `Your receiver did not answer within ${timeoutMs / 1000} s: the delivery counts as failed and is retried.`,
          'Answer 2xx at once, then fetch and process the transcript in the background.',
          evidence,
        ),
      );
    } else if (reason.startsWith('forbidden address')) {
      out.push(
        f.fail(
          'private_address',
          `This server runs in public mode (EARSHOT_PUBLIC=true) and refuses to deliver to ${u.hostname} (${reason}).`,
          tunnelFix(u),
          evidence,
        ),
      );
    } else if (/CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS|ERR_SSL|EPROTO/.test(reason)) {
      out.push(
        f.fail(
          'tls_error',
          `The receiver's TLS certificate is refused (${reason.replace('network error: ', '')}).`,
          "Use a certificate from a public CA (e.g. Let's Encrypt), or a tunnel, which brings one.",
          evidence,
        ),
      );
    } else {
      const local = isLoopbackHost(u.hostname) || (await isPrivateHost(u.hostname)) !== null;
      out.push(
        f.fail(
          'unreachable',
          `Nothing answers at ${url} (${reason.replace('network error: ', '')}).`,
          local
            ? `Start the receiver; then, for a service outside this machine: ${tunnelFix(u)}`
            : 'Check the URL, that the receiver runs, and its firewall.',
          evidence,
        ),
      );
    }
  }
  if (!auth && out.every((x) => x.severity === 'pass')) {
    out.push(
      f.info(
        'no_auth_header',
        'Deliveries carry no secret, so anyone can POST to your receiver.',
        'Set webhook_auth_header_name/value on the transcript and check that header in the receiver.',
      ),
    );
  }

  if (input.transcript && typeof input.transcript.webhook_url === 'string' && input.transcript.webhook_url !== 'http://deleted_by_user') {
    out.push(...(await recordedDelivery(ctx, input.transcript, input.waitForDeliveryMs ?? 0)));
  }
  return out;
}
