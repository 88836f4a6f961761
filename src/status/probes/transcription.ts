import { existsSync } from 'node:fs';
import path from 'node:path';
import type { EngineChoice } from '../../engines/choice.js';
import { DEFAULT_MODEL_DIR } from '../../engines/pocketsphinx.js';
import { createTranscript } from '../../pipeline/submit.js';
import { uploadIdFromUrl } from '../../storage/uploads.js';
import { parseTranscriptParams } from '../../transcript/params.js';
import type { Probe, ProbeEnv, ProbeResult } from './types.js';
import { byLatency, failed, reason } from './types.js';

/**
 * pg-boss fetches the highest priority first, then the oldest. User jobs have priority 0, so a
 * probe job only ever takes a worker no user job is waiting for: it never overtakes one. What is
 * left is a user job arriving while the probe runs (a second or so every EARSHOT_STATUS_PROBE_SECONDS).
 */
export const PROBE_PRIORITY = -10;

/** Model files the engine's worker threads load; gone, running threads keep working but new ones (and the next start) fail. */
export function missingModelFiles(engine: EngineChoice): string[] {
  if (engine.name === 'whisper') return engine.modelPath && existsSync(engine.modelPath) ? [] : [engine.modelPath ?? engine.model];
  if (engine.name === 'sherpa') return Object.values(engine.sherpa!.files).filter((f) => !existsSync(f));
  const dir = process.env.EARSHOT_POCKETSPHINX_MODEL_DIR ?? DEFAULT_MODEL_DIR;
  return ['en-us', 'en-us.lm.bin', 'cmudict-en-us.dict'].map((f) => path.join(dir, f)).filter((f) => !existsSync(f));
}

async function call(env: ProbeEnv, method: string, pathname: string, signal: AbortSignal, body?: Buffer): Promise<Record<string, unknown>> {
  // A signal of its own per request: fetch leaves its listener on the signal it is given, and the probe polls.
  const own = new AbortController();
  const abort = () => own.abort(signal.reason);
  signal.addEventListener('abort', abort, { once: true });
  try {
    const res = await fetch(`${env.baseUrl}${pathname}`, {
      method,
      headers: { authorization: env.key },
      body: body && new Uint8Array(body),
      signal: own.signal,
    });
    const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok)
      throw new Error(`${method} ${pathname.replace(/[0-9a-f-]{36}/, ':id')} answered ${res.status}: ${String(json.error ?? '')}`);
    return json;
  } finally {
    signal.removeEventListener('abort', abort);
  }
}

/** User jobs finished (either way) since `since`: on a server busy enough to keep the probe waiting, proof that jobs still flow. */
async function userJobsFinishedSince(env: ProbeEnv, since: Date): Promise<number> {
  const { rows } = await env.db.query<{ n: number }>(
    "select count(*)::int as n from transcripts where completed_at >= $1 and project_id <> $2 and status = 'completed'",
    [since, env.projectId],
  );
  return rows[0]!.n;
}

/**
 * A real job on the probe clip: uploaded over HTTP, queued (at the lowest priority), run by a worker
 * on the engine, read back over HTTP and deleted. Latency is the run, from the job's start to its result.
 */
export const probeTranscription: Probe = async (env, signal) => {
  const missing = missingModelFiles(env.engine);
  const job = await runJob(env, signal);
  if (missing.length === 0) return job;
  const text = `model file${missing.length > 1 ? 's' : ''} missing: ${missing.join(', ')}; running engine threads keep working, new ones and the next start will fail`;
  return job.observed === 'major_outage'
    ? { ...job, message: `${job.message}; ${text}` }
    : { observed: 'partial_outage', latencyMs: job.latencyMs, message: text };
};

async function runJob(env: ProbeEnv, signal: AbortSignal): Promise<ProbeResult> {
  let id: string | null = null;
  const started = new Date();
  const t0 = performance.now();
  try {
    const upload = await call(env, 'POST', '/v2/upload', signal, env.clip.bytes);
    const params = parseTranscriptParams({ audio_url: upload.upload_url });
    // Not through POST /v2/transcript: that queues every job alike, and the probe must queue behind users.
    id = (
      await createTranscript(env, {
        projectId: env.projectId,
        params,
        uploadId: uploadIdFromUrl(params.audio_url),
        priority: PROBE_PRIORITY,
      })
    ).row.id;
    const queuedAt = performance.now();
    let startedAt: number | null = null;
    for (;;) {
      const t = await call(env, 'GET', `/v2/transcript/${id}`, signal);
      const now = performance.now();
      if (t.status === 'processing') startedAt ??= now;
      if (t.status === 'error') return failed(`the job failed: ${String(t.error)}`, now - queuedAt);
      if (t.status === 'completed') {
        // Slowness is judged on the run alone: waiting behind user jobs is the queue's story, not the engine's.
        const ran = now - (startedAt ?? queuedAt);
        const waited = startedAt === null ? '' : `waited ${((startedAt - queuedAt) / 1000).toFixed(1)} s in the queue, `;
        return byLatency(
          env,
          'transcription',
          ran,
          `${env.clip.source} clip transcribed by ${env.engine.model}: ${waited}ran ${Math.round(ran)} ms`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    const ms = performance.now() - t0;
    if (!signal.aborted) return failed(`transcription: ${reason(err)}`, ms);
    // Timed out: a job behind a busy queue is no fault if user jobs kept finishing meanwhile.
    const finished = await userJobsFinishedSince(env, started).catch(() => 0);
    if (finished > 0)
      return {
        observed: 'operational',
        latencyMs: null,
        message: `the probe job waited behind user jobs for ${Math.round(ms / 1000)} s; ${finished} user jobs completed meanwhile`,
      };
    return failed(`no transcription finished within ${Math.round(ms / 1000)} s`, ms);
  } finally {
    // A job that timed out must not run later, when nobody waits for it.
    if (id) await call(env, 'DELETE', `/v2/transcript/${id}`, AbortSignal.timeout(10_000)).catch(() => undefined);
  }
}
