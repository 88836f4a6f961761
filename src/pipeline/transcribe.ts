import { mkdir, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import type { AppContext } from '../context.js';
import { isConnectionLoss } from '../db/index.js';
import type { Logger } from '../log.js';
import { DownloadError, safeDownload } from '../net/fetch.js';
import { finishAttempt, getTranscript, releaseAttempt, renewLease, startAttempt } from '../storage/transcripts.js';
import { RedactedAudioStore } from '../storage/redacted-audio.js';
import { UploadNotHeldError } from '../storage/uploads.js';
import type { TranscriptResult, TranscriptRow } from '../transcript/types.js';
import type { QueueJob, TranscribeJob } from '../queue/index.js';
import { findVadModel, speechThresholdError } from '../streaming/vad.js';
import { AudioError, probeAudio } from '../audio/decode.js';
import { averageConfidence, transcriptText } from '../text/format.js';
import { findDiarizationModels } from '../engines/diarization-models.js';
import { findLanguageIdModel } from '../engines/language-id-models.js';
import {
  chooseLanguage,
  confidenceBelowThreshold,
  type DetectedLanguage,
  detectedLanguageUnsupported,
} from '../transcript/language-detection.js';
import { AudioTaskError, type EnginePool } from './engine-pool.js';
import type { EngineTask, EngineTaskResult } from './engine-task.js';
import { applyUnderstanding, LlmFeatureError } from './understanding.js';

const downloadError = (url: string) =>
  `Download error, unable to download ${url}. Please make sure the file exists and is accessible from the internet.`;
/** Upstream's text for a fault on its side; the detail goes to the log, never to the client. */
export const SERVER_ERROR = 'Server error, developers have been alerted.';
/** File-system codes that mean the audio file is gone or unreadable: to the user, a download error. */
const MISSING_FILE = new Set(['ENOENT', 'EACCES', 'EISDIR', 'ENOTDIR', 'EPERM']);

/** A failure that belongs to the user's input: it ends the transcript with `status: "error"` and this text. */
class InputError extends Error {}

/** Why a running attempt stopped early: the transcript was deleted (or another attempt owns it), or the process is shutting down. */
class Cancelled extends Error {}

type Outcome = { result: TranscriptResult } | { error: string };

/** The text a failed attempt shows the client: upstream's wording, no internal paths or stack details. */
function publicError(err: unknown, row: TranscriptRow): string {
  if (err instanceof InputError || err instanceof AudioTaskError || err instanceof LlmFeatureError) return err.message;
  if (MISSING_FILE.has((err as NodeJS.ErrnoException).code ?? '')) return downloadError(row.audio_url);
  return SERVER_ERROR;
}

/** A pause that ends early, without an error, when `signal` aborts (the caller checks it). */
const pause = (ms: number, signal?: AbortSignal) => sleep(ms, undefined, { signal }).catch(() => undefined);

/** Runs `fn` until it succeeds, waiting out database outages (a query's own error is thrown). Gives up when `signal` aborts. */
async function withDatabase<T>(log: Logger, what: string, fn: () => Promise<T>, signal: AbortSignal): Promise<T> {
  for (let wait = 500; ; wait = Math.min(wait * 2, 5000)) {
    try {
      return await fn();
    } catch (err) {
      if (!isConnectionLoss(err) || signal.aborted) throw err;
      log.warn({ err: (err as Error).message }, `database unreachable (${what}); retrying`);
      await pause(wait, signal);
    }
  }
}

interface Running {
  attempt: number;
  cancel: AbortController;
}

/**
 * Runs transcription jobs: claims the transcript, fetches its audio, runs the engine in a worker
 * thread, stores the result and queues the webhook. A lease renewed while it runs lets another node
 * (or this one after a restart) take over if this process dies; a renewal that finds the
 * transcript deleted stops the attempt. On shutdown, running attempts are handed back at once.
 */
export class Transcriber {
  private readonly running = new Map<string, Running>();
  private readonly shutdown = new AbortController();

  constructor(
    private readonly ctx: AppContext,
    private readonly pool: EnginePool,
  ) {}

  /** Whether this process is running (or still recording) an attempt of the transcript. */
  isRunning(transcriptId: string): boolean {
    return this.running.has(transcriptId);
  }

  /** Stops every running attempt and hands it back to the queue (graceful shutdown). */
  handBack(): void {
    this.shutdown.abort(new Cancelled('shutting down'));
  }

  /** Resolves once no attempt runs (handed back or finished), or after `timeoutMs`. */
  async idle(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.running.size > 0 && Date.now() < until) await sleep(50);
  }

  async run(job: QueueJob<TranscribeJob>): Promise<void> {
    const { ctx } = this;
    const { transcriptId } = job.data;
    const leaseSeconds = ctx.config.jobLeaseSeconds;
    let log = ctx.log.child({ transcript: transcriptId, job: job.id });
    const attempt = await withDatabase(log, 'claim', () => startAttempt(ctx.db, transcriptId, job.id, leaseSeconds), this.shutdown.signal);
    ctx.transcripts.invalidate(transcriptId);
    if (attempt === null) return; // finished, deleted, or superseded by a newer job
    log = log.child({ attempt });
    const cancel = new AbortController();
    this.running.set(transcriptId, { attempt, cancel });
    // Often enough that a delete on any node stops the work within a few seconds.
    const renew = setInterval(
      () => {
        renewLease(ctx.db, transcriptId, attempt, leaseSeconds).then(
          (owned) => owned || cancel.abort(new Cancelled('deleted or superseded')),
          (err: unknown) => log.warn({ err: (err as Error).message }, 'lease renewal failed'),
        );
      },
      Math.min(2000, (leaseSeconds * 1000) / 3),
    );
    try {
      const signal = AbortSignal.any([cancel.signal, this.shutdown.signal]);
      const outcome = await this.attempt(transcriptId, signal, log).catch((err: unknown) => {
        if (signal.aborted) return null;
        throw err;
      });
      if (outcome === null) {
        if (this.shutdown.signal.aborted) return await this.release(transcriptId, attempt, log);
        log.info('transcription cancelled: the transcript was deleted or taken over');
        return;
      }
      await this.finish(transcriptId, attempt, outcome, log);
    } finally {
      clearInterval(renew);
      this.running.delete(transcriptId);
    }
  }

  /** One try at the transcript: its result, or the error it ends with. Throws only when aborted. */
  private async attempt(transcriptId: string, signal: AbortSignal, log: Logger): Promise<Outcome> {
    const { ctx, pool } = this;
    const row = (await getTranscript(ctx.db, transcriptId))!;
    log.info('transcription started');
    try {
      const audio = await localAudio(ctx, row, signal, log);
      // Waveform peaks for the console (Earshot extension), while the audio is on local disk; a failure loses only the waveform.
      const peaks = ctx.peaks
        .compute(transcriptId, audio.file, signal)
        .catch((err: unknown) => log.info({ reason: (err as Error).message }, 'waveform peaks not computed'));
      try {
        const p = row.params;
        // Models removed since the request was accepted: the job ends with the same advice the request would have had.
        const models = p.speaker_labels ? await findDiarizationModels(ctx.config) : null;
        if (models && 'missing' in models) throw new InputError(models.missing);
        const detected = p.language_detection ? await this.detectLanguage(row, audio.file, signal) : null;
        const task: EngineTask = {
          audioPath: audio.file,
          startMs: p.audio_start_from,
          endMs: p.audio_end_at,
          languageCode: detected?.code ?? p.language_code,
          speechThreshold: p.speech_threshold ? { value: p.speech_threshold, vadModel: await findVadModel(ctx.config) } : null,
          format: {
            punctuate: p.punctuate,
            format_text: p.format_text,
            disfluencies: p.disfluencies,
            filter_profanity: p.filter_profanity,
            custom_spelling: p.custom_spelling,
          },
          diarization: models && {
            models,
            count: {
              exactly: p.speakers_expected,
              min: p.speaker_options?.min_speakers_expected ?? 1,
              max: p.speaker_options?.max_speakers_expected ?? null,
            },
          },
        };
        const r =
          p.multichannel === true
            ? await transcribeChannels(pool, task, signal)
            : { ...(await pool.run(task, { signal })), audioChannels: undefined };
        if (p.speech_threshold && r.speechFraction !== null && r.speechFraction < p.speech_threshold) {
          throw new InputError(speechThresholdError(r.speechFraction, p.speech_threshold));
        }
        const result: TranscriptResult = {
          text: r.text,
          words: r.words,
          confidence: r.confidence,
          audio_duration: Math.round(((p.audio_start_from ?? 0) + r.durationMs) / 1000),
          speech_model_used: ctx.engine.model,
          language_code: detected?.code ?? p.language_code,
          ...(detected ? { language_confidence: detected.confidence } : {}),
          ...(r.audioChannels !== undefined ? { audio_channels: r.audioChannels } : {}),
        };
        return { result: await applyUnderstanding(ctx, transcriptId, result, p, audio.file, signal) };
      } finally {
        await peaks;
        await audio.cleanup();
      }
    } catch (err) {
      if (signal.aborted) throw err;
      const error = publicError(err, row);
      if (error === SERVER_ERROR) log.error({ err }, 'transcription failed');
      return { error };
    }
  }

  /**
   * `language_detection`: the language the engine is to transcribe in, from the identifier's scores over the audio (its
   * first 30 s, trimmed as the transcription is), by upstream's rules; upstream's errors when its confidence is below
   * the threshold or the engine cannot transcribe it.
   */
  private async detectLanguage(row: TranscriptRow, audioPath: string, signal: AbortSignal): Promise<DetectedLanguage> {
    const { ctx, pool } = this;
    const p = row.params;
    const model = await findLanguageIdModel(ctx.config);
    if ('missing' in model) throw new InputError(model.missing);
    const scores = await pool.identifyLanguage({ audioPath, startMs: p.audio_start_from, endMs: p.audio_end_at, model }, { signal });
    const detected = chooseLanguage(scores, p.language_detection_options);
    if (detected.confidence < p.language_confidence_threshold)
      throw new InputError(confidenceBelowThreshold(detected, p.language_confidence_threshold));
    const { languages, model: speechModel } = ctx.engine;
    if (languages !== 'all' && !languages.includes(detected.code))
      throw new InputError(detectedLanguageUnsupported(detected, speechModel, languages));
    return detected;
  }

  /** Stores the outcome and queues the webhook in one transaction, waiting out a database outage. */
  private async finish(transcriptId: string, attempt: number, outcome: Outcome, log: Logger): Promise<void> {
    const { ctx } = this;
    const finished = await withDatabase(
      log,
      'store the result',
      () =>
        ctx.db.transaction(async (tx) => {
          if (!(await finishAttempt(tx, transcriptId, attempt, outcome))) return false;
          const row = await getTranscript(tx, transcriptId);
          if (row?.params.webhook_url) await ctx.queue.enqueueWebhook({ transcriptId }, tx);
          if (row?.params.webhook_url && row.result?.redacted_audio)
            await ctx.queue.enqueueWebhook({ transcriptId, redactedAudio: true }, tx);
          return true;
        }),
      this.shutdown.signal,
    );
    ctx.transcripts.invalidate(transcriptId);
    if (!finished) {
      // Deleted or taken over after the decode ended (a DELETE also removes the audio, which can end it early).
      log.info('transcription cancelled: the transcript was deleted or taken over; its result is discarded');
      // Its redacted audio goes with a deleted transcript; an attempt that took over has written (or will write) its own.
      if ('result' in outcome && outcome.result.redacted_audio && (await getTranscript(ctx.db, transcriptId))?.deleted_at !== null) {
        await new RedactedAudioStore(ctx.uploads.blobs).remove(transcriptId);
      }
      return;
    }
    log.info(
      { status: 'result' in outcome ? 'completed' : 'error', error: 'error' in outcome ? outcome.error : undefined },
      'transcription finished',
    );
  }

  /** Hands the attempt back under a new queue job, which any node may start at once; not counted as a lost worker. */
  private async release(transcriptId: string, attempt: number, log: Logger): Promise<void> {
    const { ctx } = this;
    const row = await getTranscript(ctx.db, transcriptId);
    if (!row) return;
    const released = await ctx.db
      .transaction(async (tx) => {
        const jobId = await ctx.queue.enqueueTranscription(transcriptId, { fromUrl: row.upload_id === null, db: tx });
        if (await releaseAttempt(tx, transcriptId, attempt, jobId)) return true;
        throw new Cancelled('no longer ours'); // rolls the new job back
      })
      .catch((err: unknown) => {
        if (err instanceof Cancelled) return false;
        throw err;
      });
    ctx.transcripts.invalidate(transcriptId);
    if (released) log.info('shutting down: transcription handed back to the queue');
  }
}

/**
 * `multichannel`: each channel of the file transcribed on its own, as one engine task each, run at once so
 * idle engine threads share the work (the pool queues them when all are busy: never more threads than
 * EARSHOT_CONCURRENCY). Words carry their channel ("1" is the first) and, as upstream, the channel as
 * their speaker (with speaker_labels, the channel and the speaker within it); they are merged in time
 * order, ties in channel order, and the text follows them.
 * A mono file is one channel. The speech share is the best channel's: a quiet party is not "no speech".
 */
async function transcribeChannels(
  pool: EnginePool,
  task: EngineTask,
  signal: AbortSignal,
): Promise<EngineTaskResult & { audioChannels: number }> {
  let channels: number;
  try {
    channels = (await probeAudio(task.audioPath, { signal })).channels ?? 1;
  } catch (err) {
    if (err instanceof AudioError) throw new InputError(err.message);
    throw err;
  }
  // One channel failing stops the others rather than letting them run on for nothing.
  const stop = new AbortController();
  const either = AbortSignal.any([signal, stop.signal]);
  const results = await Promise.all(
    Array.from({ length: channels }, (_, channel) =>
      pool.run({ ...task, channel }, { signal: either }).catch((err: unknown) => {
        stop.abort(err);
        throw err;
      }),
    ),
  );
  const words = results
    // With speaker_labels each channel is diarized on its own and its speakers are "1A", "1B", "2A", … as upstream.
    .flatMap((r, i) =>
      r.words.map((w) => ({ ...w, speaker: task.diarization ? `${i + 1}${w.speaker}` : String(i + 1), channel: String(i + 1) })),
    )
    .sort((a, b) => a.start - b.start || Number(a.channel) - Number(b.channel));
  const fractions = results.map((r) => r.speechFraction).filter((f): f is number => f !== null);
  return {
    words,
    text: transcriptText(words),
    confidence: averageConfidence(words),
    durationMs: Math.max(...results.map((r) => r.durationMs)),
    speechFraction: fractions.length > 0 ? Math.max(...fractions) : null,
    audioChannels: channels,
  };
}

/** Where the audio of a transcript is on local disk: its upload (copied from a remote store), or a fresh download. */
async function localAudio(
  ctx: AppContext,
  row: TranscriptRow,
  signal: AbortSignal,
  log: Logger,
): Promise<{ file: string; cleanup: () => Promise<void> }> {
  const dir = path.join(ctx.config.dataDir, 'tmp');
  const file = path.join(dir, downloadName(row.id, row.attempt));
  if (row.upload_id) {
    const upload = await ctx.uploads.get(row.upload_id);
    try {
      const audio = upload ? await ctx.uploads.localFile(upload, file, signal) : null;
      if (audio) return audio;
    } catch (err) {
      if (err instanceof UploadNotHeldError) throw new InputError(`${downloadError(row.audio_url)} ${err.message}`);
      throw err;
    }
    if (upload) log.warn({ upload: upload.id }, 'upload file missing from its store');
    throw new InputError(downloadError(row.audio_url));
  }
  await mkdir(dir, { recursive: true });
  const cleanup = () => rm(file, { force: true });
  try {
    await safeDownload(row.audio_url, file, {
      publicMode: ctx.config.publicMode,
      maxBytes: ctx.config.downloadMaxBytes,
      timeoutMs: ctx.config.downloadTimeoutMs,
      connectTimeoutMs: ctx.config.downloadConnectTimeoutMs,
      headersTimeoutMs: ctx.config.downloadHeadersTimeoutMs,
      idleTimeoutMs: ctx.config.downloadIdleTimeoutMs,
      maxRedirects: ctx.config.downloadMaxRedirects,
      signal,
    });
  } catch (err) {
    await cleanup();
    if (err instanceof DownloadError) {
      log.info({ reason: err.reason }, 'audio download failed');
      throw new InputError(err.message);
    }
    throw err;
  }
  return { file, cleanup };
}

/** A download's file in `<data-dir>/tmp`: the transcript and attempt it belongs to (the start-up sweep reads them back). */
export const downloadName = (transcriptId: string, attempt: number) => `${transcriptId}-${attempt}`;

export function parseDownloadName(name: string): { transcriptId: string; attempt: number } | null {
  const m = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-(\d+)$/.exec(name);
  return m ? { transcriptId: m[1]!, attempt: Number(m[2]) } : null;
}
