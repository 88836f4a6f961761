import { readFileSync, statSync } from 'node:fs';
import { checkAudioUrl, checkLocalAudio, isHttpUrl } from './audio.js';
import { checkAuth } from './auth.js';
import type { DoctorContext, DoctorOptions, ServerFacts } from './context.js';
import { CHECKS, findingsFor, summarize, targetKind, type CheckName, type DoctorReport, type Finding } from './finding.js';
import { ApiClient } from './http.js';
import { checkLemur } from './lemur.js';
import { checkLifecycle, type Submission } from './lifecycle.js';
import { checkFleetStorage, checkReach, normalizeBaseUrl, STORAGE_NOT_SHARED } from './reach.js';
import { checkPastedRequest } from './request/index.js';
import { checkStreaming } from './streaming.js';
import { checkWebhook, WEBHOOK_TIMEOUT_MS } from './webhook.js';

export type { DoctorOptions, ServerFacts } from './context.js';
export type { DoctorReport, Finding } from './finding.js';

export const DEFAULT_BASE_URL = 'http://127.0.0.1:8976';

/** A JSON body file a pasted command reads (-d @body.json); null when missing or too big to be one. */
function readSmallFile(path: string): string | null {
  try {
    return statSync(path).size <= 1_048_576 ? readFileSync(path, 'utf8') : null;
  } catch {
    return null;
  }
}

/** The checks a run does: the ones asked for, else reach and auth plus whatever the inputs call for. */
export function selectChecks(o: DoctorOptions): CheckName[] {
  if (o.checks?.length) return CHECKS.filter((c) => o.checks!.includes(c));
  if (o.request && o.offline) return ['request'];
  const set = new Set<CheckName>(['reach', 'auth']);
  if (o.request) set.add('request');
  if (o.audio) set.add('audio');
  if (o.transcriptId || o.submit) set.add('lifecycle');
  if (o.webhookUrl || o.transcriptId) set.add('webhook');
  if (o.lemur) set.add('lemur');
  const focused = !!(o.audio || o.transcriptId || o.submit || o.webhookUrl || o.lemur || o.request);
  if (o.streaming === true || o.streamAudio || (o.streaming !== false && !focused)) set.add('streaming');
  return CHECKS.filter((c) => set.has(c));
}

/** Asks an Earshot's own GET /v2/doctor for one check, so URLs are judged from the server's side (public mode, its network). */
async function fromServer(ctx: DoctorContext, check: CheckName, params: Record<string, string>): Promise<Finding[] | null> {
  if (ctx.vantage !== 'client' || !ctx.earshot || !ctx.key) return null;
  const qs = new URLSearchParams({ checks: check, ...params });
  try {
    const a = await ctx.api.call('GET', `/v2/doctor?${qs}`, { headers: { authorization: ctx.key }, timeoutMs: 60_000 });
    const report = a.json as DoctorReport | undefined;
    if (a.status !== 200 || !Array.isArray(report?.findings)) return null;
    return report.findings.filter((f) => f.check === check).map((f) => ({ ...f, evidence: { ...f.evidence, checked_from: 'server' } }));
  } catch {
    return null;
  }
}

/**
 * Runs the doctor: the checks `selectChecks` picks, in order (request, reach, auth, audio,
 * lifecycle, webhook, lemur, streaming), each later check using what the earlier ones found
 * (the working key, the transcript). Never throws for a failing target: failures are findings.
 */
export async function runDoctor(
  options: DoctorOptions,
  env: { vantage?: 'client' | 'server'; server?: ServerFacts | null } = {},
): Promise<DoctorReport> {
  const startedAt = new Date();
  const vantage = env.vantage ?? 'client';
  const opts: DoctorOptions = { ...options };
  const findings: Finding[] = [];
  const checks = selectChecks(opts);

  // The pasted request first: it may name the server and carry the key to test.
  if (checks.includes('request') && opts.request) {
    const rc = checkPastedRequest(
      opts.request,
      vantage === 'client' ? { env: process.env, readFile: readSmallFile } : { env: {}, fileExists: () => true },
    );
    findings.push(...rc.findings);
    if (vantage === 'client') {
      if (!opts.baseUrl && rc.origin) opts.baseUrl = rc.origin;
    }
    if (!opts.offline && vantage === 'client') {
      const value = rc.auth?.value ?? '';
      if (rc.auth && value && !value.includes('$')) {
        opts.apiKey = value;
        opts.authHeaderName = rc.auth.headerName;
      }
    }
  }

  const rawBase = opts.baseUrl || DEFAULT_BASE_URL;
  const { base, findings: baseFindings } = normalizeBaseUrl(rawBase);
  const live = checks.filter((c) => c !== 'request');
  if (!base || live.length === 0) {
    findings.push(...baseFindings);
    return report(
      findings,
      checks,
      { base_url: base?.origin ?? rawBase, kind: base ? targetKind(base) : 'self-hosted', earshot: null },
      vantage,
      startedAt,
    );
  }
  const ctx: DoctorContext = {
    opts,
    api: new ApiClient(base),
    base,
    kind: targetKind(base),
    vantage,
    server: env.server ?? null,
    earshot: vantage === 'server' ? true : null,
    key: opts.apiKey?.trim() || null,
    authOk: null,
    progress: (line) => opts.onProgress?.(line),
    signal: opts.signal,
  };
  const skip = (check: CheckName, why: string) => findingsFor(check).skip('not_run', `Not run: ${why}.`);

  try {
    let reachable = true;
    if (checks.includes('reach')) {
      ctx.progress('reach');
      findings.push(...baseFindings);
      const r = await checkReach(ctx);
      findings.push(...r.findings);
      reachable = r.reachable;
      if (ctx.server?.fleet) findings.push(...checkFleetStorage(ctx.server.fleet));
    }
    const needServer = (c: CheckName) => checks.includes(c) && !reachable;
    for (const c of ['auth', 'lifecycle', 'lemur'] as CheckName[]) if (needServer(c)) findings.push(skip(c, 'the server is not reachable'));

    if (checks.includes('auth') && reachable) {
      ctx.progress('auth');
      findings.push(...(await checkAuth(ctx)));
      if (!ctx.authOk) {
        for (const c of ['lifecycle', 'lemur'] as CheckName[]) if (checks.includes(c)) findings.push(skip(c, 'no working API key'));
      }
    } else if (reachable) {
      ctx.authOk = ctx.key ? null : false;
    }
    const keyWorks = reachable && ctx.authOk !== false && ctx.key !== null;
    // Only the server knows the nodes on its database and where they keep uploads.
    if (checks.includes('reach') && keyWorks) {
      const own = await fromServer(ctx, 'reach', {});
      findings.push(...(own ?? []).filter((x) => x.code === STORAGE_NOT_SHARED));
    }

    // Audio
    let localAudioOk = true;
    let audioSeconds: number | null = null;
    if (checks.includes('audio') && opts.audio) {
      ctx.progress('audio');
      if (isHttpUrl(opts.audio)) {
        const delegated = reachable ? await fromServer(ctx, 'audio', { audio: opts.audio }) : null;
        findings.push(...(delegated ?? (await checkAudioUrl(ctx, opts.audio))));
      } else if (vantage === 'server') {
        findings.push(
          findingsFor('audio').fail('not_a_url', 'The server checks audio URLs only, not paths on its disk.', 'Give an http(s) URL.'),
        );
      } else {
        const a = await checkLocalAudio(opts.audio);
        findings.push(...a.findings);
        localAudioOk = !a.findings.some((x) => x.severity === 'fail');
        audioSeconds = a.audio?.probe?.durationMs != null ? a.audio.probe.durationMs / 1000 : null;
      }
    }

    // Lifecycle
    let transcriptId = opts.transcriptId ?? null;
    let transcript: Record<string, unknown> | null = null;
    let submittedWithWebhook = false;
    if (checks.includes('lifecycle') && keyWorks) {
      let submit: Submission | null = null;
      if (!transcriptId) {
        if (opts.audio && isHttpUrl(opts.audio)) submit = { kind: 'url', url: opts.audio };
        else if (opts.audio && vantage === 'client') submit = localAudioOk ? { kind: 'file', path: opts.audio } : null;
        else submit = { kind: 'sample' };
      }
      if (!transcriptId && !submit) {
        findings.push(skip('lifecycle', 'the audio file has problems (see the audio findings), so it was not submitted'));
      } else {
        ctx.progress('lifecycle');
        const l = await checkLifecycle(ctx, { transcriptId, submit, audioSeconds: submit?.kind === 'sample' ? 2.4 : audioSeconds });
        findings.push(...l.findings);
        transcriptId = l.id;
        transcript = l.transcript;
        submittedWithWebhook = !!submit && !!opts.webhookUrl;
      }
    } else if (transcriptId && keyWorks && checks.includes('webhook')) {
      const a = await ctx.api
        .call('GET', `/v2/transcript/${encodeURIComponent(transcriptId)}`, { headers: { authorization: ctx.key! } })
        .catch(() => null);
      if (a?.status === 200) transcript = a.json as Record<string, unknown>;
    }

    // Webhook
    if (checks.includes('webhook') && (opts.webhookUrl || typeof transcript?.webhook_url === 'string')) {
      ctx.progress('webhook');
      const waitForDeliveryMs = submittedWithWebhook ? (opts.webhookTimeoutMs ?? WEBHOOK_TIMEOUT_MS) + 3_000 : 0;
      let own: Finding[] | null = null;
      // The server's own view (public mode, its network), unless that would put a secret in a URL.
      if (opts.webhookUrl && !opts.webhookAuth && reachable) {
        own = await fromServer(ctx, 'webhook', {
          webhook_url: opts.webhookUrl,
          ...(transcriptId && { transcript_id: transcriptId }),
          ...(opts.webhookTimeoutMs && { webhook_timeout_ms: String(opts.webhookTimeoutMs) }),
        });
      }
      if (own) {
        findings.push(...own.filter((x) => !['webhook.delivered', 'webhook.delivery_failed', 'webhook.not_delivered'].includes(x.code)));
        if (transcript)
          findings.push(
            ...(await checkWebhook(ctx, { url: null, transcript, waitForDeliveryMs })).filter((x) =>
              ['webhook.delivered', 'webhook.delivery_failed', 'webhook.not_delivered'].includes(x.code),
            ),
          );
      } else {
        findings.push(
          ...(await checkWebhook(ctx, {
            url: opts.webhookUrl ?? null,
            auth: opts.webhookAuth ?? null,
            transcriptId,
            transcript,
            waitForDeliveryMs,
          })),
        );
      }
    }

    // LeMUR
    if (checks.includes('lemur') && keyWorks) {
      ctx.progress('lemur');
      findings.push(...(await checkLemur(ctx, transcriptId)));
    }

    // Streaming
    if (checks.includes('streaming')) {
      if (!reachable) findings.push(skip('streaming', 'the server is not reachable'));
      else {
        ctx.progress('streaming');
        findings.push(...(await checkStreaming(ctx)));
      }
    }
  } finally {
    await ctx.api.close();
  }
  return report(findings, checks, { base_url: ctx.base.origin, kind: ctx.kind, earshot: ctx.earshot }, vantage, startedAt);
}

function report(
  findings: Finding[],
  checks: CheckName[],
  target: DoctorReport['target'],
  vantage: DoctorReport['vantage'],
  startedAt: Date,
): DoctorReport {
  const s = summarize(findings);
  return {
    version: 1,
    target,
    vantage,
    started_at: startedAt.toISOString(),
    duration_ms: Date.now() - startedAt.getTime(),
    result: s.result,
    exit_code: s.exitCode,
    counts: s.counts,
    checks,
    findings,
  };
}
