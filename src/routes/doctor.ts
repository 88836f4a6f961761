import type { FastifyPluginAsync } from 'fastify';
import { baseUrlOf } from '../http/urls.js';
import type { AppContext } from '../context.js';
import { CHECKS, type CheckName } from '../doctor/finding.js';
import { runDoctor } from '../doctor/index.js';
import { Authenticator } from '../http/auth.js';
import { nodesApart } from '../status/fleet.js';
import { errors } from '../http/errors.js';
import { API_ROUTES } from '../http/api-routes.js';

type Query = Record<string, string | undefined>;

function bool(q: Query, name: string): boolean | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  if (/^(1|true|yes)$/i.test(v)) return true;
  if (/^(0|false|no)$/i.test(v)) return false;
  throw errors.invalidParam(`${name} must be true or false`);
}

function num(q: Query, name: string, range: [number, number]): number | undefined {
  const v = q[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < range[0] || n > range[1])
    throw errors.invalidParam(`${name} must be a number between ${range[0]} and ${range[1]}`);
  return n;
}

function httpUrl(q: Query, name: string): string | null {
  const v = q[name];
  if (v === undefined || v === '') return null;
  // Only URLs: a path would have the server describe its own files to a client.
  if (!/^https?:\/\//i.test(v) || !URL.canParse(v)) throw errors.invalidParam(`${name} must be an http(s) URL`);
  return v;
}

/**
 * `GET /v2/doctor` (Earshot extension): the doctor's checks run inside the server, against itself,
 * with the caller's key. URLs (`audio`, `webhook_url`) are fetched the way the server fetches
 * audio and delivers webhooks, public mode included: the server's own point of view.
 */
export function doctorRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.get<{ Querystring: Query }>(API_ROUTES.doctor.path, async (request) => {
      const q = request.query;
      let checks: CheckName[] | null = null;
      if (q.checks) {
        const names = q.checks
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        const unknown = names.filter((c) => !CHECKS.includes(c as CheckName));
        if (unknown.length) throw errors.invalidParam(`checks: unknown check(s) ${unknown.join(', ')}; known: ${CHECKS.join(', ')}`);
        checks = names as CheckName[];
      }
      const encoding = q.encoding ?? 'pcm_s16le';
      if (encoding !== 'pcm_s16le' && encoding !== 'pcm_mulaw') throw errors.invalidParam('encoding must be pcm_s16le or pcm_mulaw');
      const protocol = q.protocol ?? 'v3';
      if (protocol !== 'v3' && protocol !== 'v2') throw errors.invalidParam('protocol must be v3 or v2');
      const authName = q.webhook_auth_header_name;
      const authValue = q.webhook_auth_header_value;
      if ((authName === undefined) !== (authValue === undefined))
        throw errors.invalidParam('webhook_auth_header_name and webhook_auth_header_value must be set together');
      const local = request.socket.localAddress ?? '127.0.0.1';
      const self = `${request.protocol}://${local.includes(':') ? `[${local}]` : local}:${request.socket.localPort}`;
      const nodes = await ctx.status.listNodes();
      const others = nodes.filter((n) => n.instanceId !== ctx.status.instanceId);
      const fleet = { liveNodes: nodes.length, apart: await nodesApart(ctx.uploads.blobs, others).catch(() => 0) };
      const report = await runDoctor(
        {
          baseUrl: self,
          apiKey: Authenticator.keyFrom(request.headers.authorization),
          audio: httpUrl(q, 'audio') ?? httpUrl(q, 'audio_url'),
          submit: bool(q, 'submit'),
          transcriptId: q.transcript_id ?? null,
          waitSeconds: num(q, 'wait_seconds', [1, 120]) ?? 60,
          stuckAfterSeconds: num(q, 'stuck_after_seconds', [1, 86_400]) ?? null,
          webhookUrl: httpUrl(q, 'webhook_url'),
          webhookAuth: authName !== undefined && authValue !== undefined ? { name: authName, value: authValue } : null,
          webhookTimeoutMs: num(q, 'webhook_timeout_ms', [100, 60_000]) ?? ctx.config.webhookTimeoutMs,
          request: q.curl ?? null,
          lemur: bool(q, 'lemur'),
          lemurModel: q.lemur_model ?? null,
          lemurContextTokens: num(q, 'lemur_context_tokens', [1, 10_000_000]) ?? null,
          streaming: bool(q, 'streaming'),
          sampleRate: num(q, 'sample_rate', [1, 1_000_000]) ?? 16_000,
          encoding,
          streamingProtocol: protocol,
          checks,
        },
        {
          vantage: 'server',
          server: {
            publicMode: ctx.config.publicMode,
            fleet,
          },
        },
      );
      report.target.base_url = baseUrlOf(ctx, request);
      return report;
    });
  };
}
