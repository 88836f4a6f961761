import { createReadStream } from 'node:fs';
import { isIP } from 'node:net';
import { isForbiddenAddress } from '../net/guard.js';
import { authHeaders, type DoctorContext } from './context.js';
import { findingsFor, isLoopbackHost, type Finding } from './finding.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorText, type NetError, type HttpAnswer } from './http.js';
import { sampleWav } from './sample.js';

const f = findingsFor('lifecycle');
const TERMINAL = new Set(['completed', 'error']);
/** The cloud's own figure: most files finish in under 45 s, at a real-time factor down to 0.008. */
const CLOUD_TYPICAL = { overhead: 45, perAudioSecond: 0.01 };
/** A cautious guess for a CPU server with no history to learn from. */
const SELF_HOSTED_TYPICAL = { overhead: 20, perAudioSecond: 0.5 };
const MIN_STUCK_SECONDS = 120;
const MAX_POLL_MS = 3_000;

export type Submission = { kind: 'file'; path: string } | { kind: 'url'; url: string } | { kind: 'sample' };

export interface LifecycleResult {
  findings: Finding[];
  id: string | null;
  transcript: Record<string, unknown> | null;
}

/** Upstream prints naive UTC with microseconds ("2024-03-08T08:47:58.813286"). */
export function parseUpstreamTime(s: unknown): number | null {
  if (typeof s !== 'string') return null;
  const t = Date.parse(s.replace(/(\.\d{3})\d+/, '$1').replace(/(T[\d:.]+)$/, '$1Z'));
  return Number.isFinite(t) ? t : null;
}

const secs = (ms: number) => (ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`);

/** How long the service takes for `audioSeconds` of audio: learnt from this key's recent transcripts, else its documented figure. */
export async function typicalSeconds(
  ctx: DoctorContext,
  audioSeconds: number | null,
): Promise<{ seconds: number; source: string; samples: number }> {
  const samples: { elapsed: number; audio: number }[] = [];
  try {
    const list = await ctx.api.call('GET', '/v2/transcript?status=completed&limit=10', { headers: authHeaders(ctx) });
    const items = ((list.json as { transcripts?: Record<string, unknown>[] } | undefined)?.transcripts ?? []).slice(0, 10);
    for (const item of items) {
      const created = parseUpstreamTime(item.created);
      const completed = parseUpstreamTime(item.completed);
      if (created === null || completed === null) continue;
      const t = await ctx.api.call('GET', `/v2/transcript/${item.id}`, { headers: authHeaders(ctx) });
      const audio = Number((t.json as { audio_duration?: unknown } | undefined)?.audio_duration);
      if (Number.isFinite(audio) && audio > 0) samples.push({ elapsed: (completed - created) / 1000, audio });
    }
  } catch {
    /* no history: fall back to the documented figure */
  }
  const audio = audioSeconds ?? 60;
  if (samples.length >= 3) {
    // elapsed ≈ overhead + rate × audio: overhead from the quickest job, rate as the median of the rest.
    const overhead = Math.min(...samples.map((s) => s.elapsed));
    const rates = samples.map((s) => Math.max(0, s.elapsed - overhead) / s.audio).sort((a, b) => a - b);
    const rate = rates[Math.floor(rates.length / 2)]!;
    return {
      seconds: Math.round(overhead + rate * audio),
      source: `this service's last ${samples.length} transcripts`,
      samples: samples.length,
    };
  }
  const model = ctx.kind === 'assemblyai' ? CLOUD_TYPICAL : SELF_HOSTED_TYPICAL;
  return {
    seconds: Math.round(model.overhead + model.perAudioSecond * audio),
    source:
      ctx.kind === 'assemblyai'
        ? "AssemblyAI's documented turnaround (most files under 45 s)"
        : 'a default guess for a CPU server (no history yet)',
    samples: samples.length,
  };
}

const UPLOAD_FIX = 'Upload the file with POST /v2/upload and use the upload_url it returns as audio_url.';

/** The `error` text of a failed transcript, read: what it means and what to do. */
export function explainError(
  error: string,
  audioUrl: string | null,
  kind: DoctorContext['kind'],
): { name: string; message: string; fix: string } {
  const host = (() => {
    try {
      return audioUrl ? new URL(audioUrl).hostname : null;
    } catch {
      return null;
    }
  })();
  if (/^Download error/i.test(error)) {
    const bareHost = host?.replace(/^\[|\]$/g, '') ?? '';
    const privateHost = host !== null && (isLoopbackHost(bareHost) || (isIP(bareHost) !== 0 && isForbiddenAddress(bareHost)));
    return {
      name: 'download_error',
      message: `The service could not download audio_url${host ? ` (${host})` : ''}: "${error}"`,
      fix:
        privateHost && kind === 'assemblyai'
          ? `${host} is local or private, which AssemblyAI cannot reach. ${UPLOAD_FIX}`
          : privateHost
            ? `${host} is local or private: a server in public mode (EARSHOT_PUBLIC=true) refuses it, and any server needs a 200 answer with the file (check with --audio URL). ${UPLOAD_FIX}`
            : `The URL must open without a login (not expired, not private, no 403/404): check it with --audio URL. ${UPLOAD_FIX}`,
    };
  }
  if (/File does not appear to contain audio\. File type is text\/html/i.test(error)) {
    return {
      name: 'not_audio_html',
      message: `audio_url returned a web page, not audio: "${error}"`,
      fix: 'Link to the audio file itself (a YouTube, Drive or Dropbox page is not one; check it with --audio URL), or upload the file.',
    };
  }
  if (/File does not appear to contain audio/i.test(error)) {
    return {
      name: 'not_audio',
      message: `The file is not audio: "${error}"`,
      fix: 'Send an audio or video file; probe it locally with --audio FILE.',
    };
  }
  if (/duration is too short/i.test(error)) {
    return {
      name: 'too_short',
      message: `The audio is under 160 ms: "${error}"`,
      fix: 'Send a longer recording (check audio_start_from / audio_end_at too).',
    };
  }
  if (/language|not available in this language|not supported/i.test(error)) {
    return {
      name: 'language',
      message: `A language or model problem: "${error}"`,
      fix: "Set language_code to the audio's language, or drop the options the language does not support.",
    };
  }
  if (/balance|top up|payment/i.test(error)) {
    return { name: 'account', message: `An account problem: "${error}"`, fix: 'Add funds or enable auto-pay in the dashboard.' };
  }
  if (/^Transcription failed/i.test(error)) {
    return {
      name: 'server_failure',
      message: `The server failed on this job: "${error}"`,
      fix:
        kind === 'assemblyai'
          ? 'Retry; if it repeats, contact support with the transcript id.'
          : 'Read the server log for this transcript id (the engine or ffmpeg failed), then resubmit.',
    };
  }
  return {
    name: 'failed',
    message: `The transcript failed: "${error}"`,
    fix: 'Retry; if it repeats, report it with the transcript id and the audio.',
  };
}

async function upload(ctx: DoctorContext, body: Buffer | NodeJS.ReadableStream): Promise<string | Finding> {
  let a: HttpAnswer;
  try {
    a = await ctx.api.call('POST', '/v2/upload', {
      headers: { ...authHeaders(ctx), 'content-type': 'application/octet-stream' },
      body,
      timeoutMs: 600_000,
    });
  } catch (err) {
    return f.fail(
      'upload_failed',
      `POST /v2/upload got no answer: ${(err as Error).message}.`,
      'Check the network and the file size limit (2.2 GB).',
    );
  }
  const url = (a.json as { upload_url?: unknown } | undefined)?.upload_url;
  if (a.status !== 200 || typeof url !== 'string') {
    return f.fail(
      'upload_failed',
      `POST /v2/upload answered ${a.status}: ${errorText(a)}.`,
      a.status === 413 ? "The file is over the server's upload limit: host it at a URL or compress it." : 'See the error text.',
      { status: a.status },
    );
  }
  return url;
}

async function findCreated(ctx: DoctorContext, id: string, status: string): Promise<number | null> {
  try {
    const a = await ctx.api.call('GET', `/v2/transcript?status=${encodeURIComponent(status)}&limit=200`, { headers: authHeaders(ctx) });
    const item = ((a.json as { transcripts?: { id?: string; created?: string }[] } | undefined)?.transcripts ?? []).find(
      (t) => t.id === id,
    );
    return parseUpstreamTime(item?.created);
  } catch {
    return null;
  }
}

/**
 * Lifecycle: submits a transcript (or follows one), polls with backoff, records each state with
 * its time, and judges: completed, failed (the error explained), or stuck against the typical time.
 */
export async function checkLifecycle(
  ctx: DoctorContext,
  input: { transcriptId?: string | null; submit?: Submission | null; audioSeconds?: number | null },
): Promise<LifecycleResult> {
  const out: Finding[] = [];
  let id = input.transcriptId ?? null;
  let createdAt: number | null = null;
  const submitted = !id && !!input.submit;

  if (!id && input.submit) {
    const s = input.submit;
    let audioUrl: string;
    if (s.kind === 'url') audioUrl = s.url;
    else {
      ctx.progress('lifecycle: uploading');
      const up = await upload(ctx, s.kind === 'file' ? createReadStream(s.path) : sampleWav());
      if (typeof up !== 'string') return { findings: [up], id: null, transcript: null };
      audioUrl = up;
    }
    const body: Record<string, unknown> = { audio_url: audioUrl };
    // The current upstream API requires speech_models; Earshot accepts and echoes it.
    if (ctx.kind === 'assemblyai') body.speech_models = ['universal-3-pro', 'universal-2'];
    if (ctx.opts.webhookUrl) {
      body.webhook_url = ctx.opts.webhookUrl;
      if (ctx.opts.webhookAuth) {
        body.webhook_auth_header_name = ctx.opts.webhookAuth.name;
        body.webhook_auth_header_value = ctx.opts.webhookAuth.value;
      }
    }
    createdAt = Date.now();
    let a: HttpAnswer;
    try {
      a = await ctx.api.call('POST', '/v2/transcript', {
        headers: { ...authHeaders(ctx), 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    } catch (err) {
      return {
        findings: [f.fail('submit_failed', `POST /v2/transcript got no answer: ${(err as Error).message}.`, 'Fix reachability first.')],
        id: null,
        transcript: null,
      };
    }
    const created = a.json as { id?: unknown } | undefined;
    if (a.status !== 200 || typeof created?.id !== 'string') {
      return {
        findings: [
          f.fail(
            'submit_rejected',
            `POST /v2/transcript answered ${a.status}: ${errorText(a)}.`,
            'Fix the request as the error says; paste it with --curl to have it checked.',
            { status: a.status, body: { ...body, webhook_auth_header_value: body.webhook_auth_header_value ? '***' : undefined } },
          ),
        ],
        id: null,
        transcript: null,
      };
    }
    id = created.id;
    out.push(
      f.pass(
        'submitted',
        `Submitted transcript ${id} (${s.kind === 'sample' ? 'built-in 2.4 s speech sample' : s.kind === 'file' ? `uploaded ${s.path}` : audioUrl}).`,
        undefined,
        { id },
      ),
    );
  }
  if (!id)
    return {
      findings: [
        f.skip(
          'nothing_to_follow',
          'No transcript to follow.',
          'Give --transcript-id ID, or --submit (with --audio, or the built-in sample).',
        ),
      ],
      id: null,
      transcript: null,
    };

  const started = Date.now();
  const waitMs = (ctx.opts.waitSeconds ?? 120) * 1000;
  const timeline: { status: string; at_ms: number }[] = [];
  let transcript: Record<string, unknown> | null = null;
  let delay = 250;
  let typical: Awaited<ReturnType<typeof typicalSeconds>> | null = null;
  let stuckAfterMs: number | null = ctx.opts.stuckAfterSeconds != null ? ctx.opts.stuckAfterSeconds * 1000 : null;

  for (let polls = 0; ; polls++) {
    let a: HttpAnswer;
    try {
      a = await ctx.api.call('GET', `/v2/transcript/${encodeURIComponent(id)}`, { headers: authHeaders(ctx) });
    } catch (err) {
      out.push(f.fail('poll_failed', `GET /v2/transcript/${id} got no answer: ${(err as NetError).message}.`, 'Fix reachability first.'));
      return { findings: out, id, transcript };
    }
    if (a.status === 400 || a.status === 404) {
      out.push(
        f.fail(
          'not_found',
          `Transcript ${id} is not found with this key (${a.status}: ${errorText(a)}).`,
          `Transcript ids belong to the key's project${ctx.kind === 'assemblyai' ? ' and region (api.eu.assemblyai.com is separate)' : ''}: use the key that created it, and GET /v2/transcript/{id} with no trailing slash.`,
          { status: a.status },
        ),
      );
      return { findings: out, id, transcript };
    }
    if (a.status !== 200) {
      out.push(
        f.fail('poll_failed', `GET /v2/transcript/${id} answered ${a.status}: ${errorText(a)}.`, 'See the auth and reach findings.', {
          status: a.status,
        }),
      );
      return { findings: out, id, transcript };
    }
    transcript = a.json as Record<string, unknown>;
    const status = String(transcript.status);
    const elapsed = Date.now() - started;
    if (timeline[timeline.length - 1]?.status !== status) {
      timeline.push({ status, at_ms: elapsed });
      ctx.progress(`lifecycle: ${status} after ${secs(elapsed)}`);
    }
    if (polls === 0 && !submitted) {
      if (TERMINAL.has(status)) {
        out.push(
          f.info(
            'already_finished',
            `Transcript ${id} is already ${status}. If your app still shows it as pending, it stopped polling, or waits only for "completed".`,
            'Poll GET /v2/transcript/{id} until status is "completed" or "error" (or use a webhook); the SDKs\' transcribe() and waitUntilReady() do.',
          ),
        );
      } else {
        createdAt = await findCreated(ctx, id, status);
      }
    }
    if (TERMINAL.has(status)) break;

    if (stuckAfterMs === null || typical === null) {
      const audio = input.audioSeconds ?? (typeof transcript.audio_duration === 'number' ? transcript.audio_duration : null);
      typical ??= await typicalSeconds(ctx, audio);
      stuckAfterMs ??= Math.max(MIN_STUCK_SECONDS, 3 * typical.seconds) * 1000;
    }
    const age = createdAt !== null ? Date.now() - createdAt : elapsed;
    if (age > stuckAfterMs && (elapsed > 2_000 || polls >= 2)) {
      const queued = status === 'queued';
      out.push(
        f.fail(
          'stuck',
          `Transcript ${id} has been ${status} for ${secs(age)}; typical for this length is about ${typical.seconds} s (${typical.source}).`,
          ctx.kind === 'assemblyai'
            ? 'Check the status page; if the service is fine, contact support with the transcript id (throttled jobs wait for your concurrency limit).'
            : queued
              ? 'No worker is taking jobs: check the server runs workers (EARSHOT_WORKERS=true), that they are not all busy (EARSHOT_CONCURRENCY), and the server log.'
              : "The worker is slow or hung: check the server log and load; a crashed worker's job is retried after EARSHOT_JOB_LEASE_SECONDS.",
          {
            status,
            age_ms: age,
            typical_seconds: typical.seconds,
            typical_source: typical.source,
            timeline,
            throttled: transcript.throttled ?? null,
          },
        ),
      );
      return { findings: out, id, transcript };
    }
    if (elapsed > waitMs) {
      out.push(
        f.warn(
          'still_running',
          `Transcript ${id} is still ${status} after ${secs(age)}; typical for this length is about ${typical.seconds} s, so it is not stuck yet.`,
          'Run the doctor again later with --transcript-id, or wait longer with --wait SECONDS.',
          {
            status,
            age_ms: age,
            typical_seconds: typical.seconds,
            timeline,
          },
        ),
      );
      return { findings: out, id, transcript };
    }
    if (transcript.throttled === true && !out.some((x) => x.code === 'lifecycle.throttled')) {
      out.push(
        f.info(
          'throttled',
          "The transcript is throttled: the account's concurrency limit is reached, so it waits in the queue.",
          'Wait, submit fewer jobs at once, or raise the limit.',
        ),
      );
    }
    await sleep(delay, undefined, { signal: ctx.signal });
    delay = Math.min(delay * 1.5, MAX_POLL_MS);
  }

  const status = String(transcript!.status);
  const evidence = { id, timeline, audio_duration: transcript!.audio_duration ?? null, total_ms: Date.now() - (createdAt ?? started) };
  if (status === 'error') {
    const e = explainError(
      String(transcript!.error ?? ''),
      typeof transcript!.audio_url === 'string' ? transcript!.audio_url : null,
      ctx.kind,
    );
    out.push(f.fail(e.name, e.message, e.fix, { ...evidence, error: transcript!.error }));
  } else if (submitted || timeline.length > 1) {
    const phases = timeline.map((t, i) => `${t.status} ${secs((timeline[i + 1]?.at_ms ?? evidence.total_ms) - t.at_ms)}`).slice(0, -1);
    const audio = typeof transcript!.audio_duration === 'number' ? ` for ${transcript!.audio_duration} s of audio` : '';
    out.push(
      f.pass(
        'completed',
        `Completed in ${secs(evidence.total_ms)}${phases.length ? ` (${phases.join(', ')})` : ''}${audio}.`,
        undefined,
        evidence,
      ),
    );
  } else {
    out.push(f.pass('completed', `Transcript ${id} is completed.`, undefined, evidence));
  }
  if (status === 'completed' && typeof transcript!.text === 'string' && transcript!.text.trim() === '') {
    out.push(
      f.warn(
        'empty_text',
        `Transcript ${id} completed with no words.`,
        'The audio may be silent, music only, or in another language than language_code (default en_us): listen to it and set language_code.',
        evidence,
      ),
    );
  }
  return { findings: out, id, transcript };
}
