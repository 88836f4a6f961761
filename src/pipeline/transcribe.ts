import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { AppContext } from '../context.js';
import { DownloadError, safeDownload } from '../net/fetch.js';
import { finishAttempt, getTranscript, renewLease, startAttempt } from '../storage/transcripts.js';
import { UploadNotHeldError } from '../storage/uploads.js';
import type { TranscriptResult, TranscriptRow } from '../transcript/types.js';
import type { QueueJob, TranscribeJob } from '../queue/index.js';
import { findVadModel } from '../streaming/vad.js';
import { AudioTaskError, type EnginePool } from './engine-pool.js';

const downloadError = (url: string) =>
  `Download error, unable to download ${url}. Please make sure the file exists and is accessible from the internet.`;

/** A failure that belongs to the user's input: it ends the transcript with `status: "error"` and this text. */
class InputError extends Error {}

/** Where the audio of a transcript is on local disk: its upload, or a fresh download. */
async function localAudio(ctx: AppContext, row: TranscriptRow, signal: AbortSignal): Promise<{ file: string; cleanup: () => Promise<void> }> {
  const dir = path.join(ctx.config.dataDir, 'tmp');
  const file = path.join(dir, `${row.id}-${row.attempt}`);
  if (row.upload_id) {
    const upload = await ctx.uploads.get(row.upload_id);
    try {
      const audio = upload ? await ctx.uploads.localFile(upload, file, signal) : null;
      if (audio) return audio;
    } catch (err) {
      if (err instanceof UploadNotHeldError) throw new InputError(`${downloadError(row.audio_url)} ${err.message}`);
      throw err;
    }
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
      ctx.log.info({ transcript: row.id, reason: err.reason }, 'audio download failed');
      throw new InputError(err.message);
    }
    throw err;
  }
  return { file, cleanup };
}

/**
 * One transcription job: claim the transcript, fetch its audio, run the engine in a worker
 * thread, store the result, queue the webhook. A lease renewed while it runs lets another node
 * (or this one after a restart) take over if this process dies.
 */
export async function runTranscription(ctx: AppContext, pool: EnginePool, job: QueueJob<TranscribeJob>, signal: AbortSignal): Promise<void> {
  const { transcriptId } = job.data;
  const leaseSeconds = ctx.config.jobLeaseSeconds;
  const attempt = await startAttempt(ctx.db, transcriptId, leaseSeconds);
  ctx.transcripts.invalidate(transcriptId);
  if (attempt === null) return; // finished or deleted meanwhile
  const row = (await getTranscript(ctx.db, transcriptId))!;
  const log = ctx.log.child({ transcript: transcriptId, attempt, job: job.id });
  log.info('transcription started');
  const started = Date.now();
  const renew = setInterval(() => {
    renewLease(ctx.db, transcriptId, attempt, leaseSeconds).catch((err) => log.warn({ err }, 'lease renewal failed'));
  }, (leaseSeconds * 1000) / 3);

  let outcome: { result: TranscriptResult } | { error: string };
  try {
    const audio = await localAudio(ctx, row, signal);
    // Waveform peaks for the console (Earshot extension), while the audio is on local disk; a failure loses only the waveform.
    const peaks = ctx.peaks
      .compute(transcriptId, audio.file, signal)
      .catch((err: unknown) => log.info({ reason: (err as Error).message }, 'waveform peaks not computed'));
    try {
      const p = row.params;
      const r = await pool.run(
        {
          audioPath: audio.file,
          startMs: p.audio_start_from,
          endMs: p.audio_end_at,
          languageCode: p.language_code,
          speechThreshold: p.speech_threshold ? { value: p.speech_threshold, vadModel: await findVadModel(ctx.config) } : null,
          format: {
            punctuate: p.punctuate,
            format_text: p.format_text,
            disfluencies: p.disfluencies,
            filter_profanity: p.filter_profanity,
            custom_spelling: p.custom_spelling,
          },
        },
        { signal },
      );
      outcome = {
        result: {
          text: r.text,
          words: r.words,
          confidence: r.confidence,
          audio_duration: Math.round(((p.audio_start_from ?? 0) + r.durationMs) / 1000),
          speech_model_used: ctx.engine.model,
          language_code: p.language_code,
        },
      };
    } finally {
      await peaks;
      await audio.cleanup();
    }
  } catch (err) {
    if (signal.aborted) throw err; // shutting down: leave the job to be retried
    if (err instanceof InputError || err instanceof AudioTaskError) outcome = { error: err.message };
    else {
      log.error({ err }, 'transcription failed');
      outcome = { error: `Transcription failed: ${(err as Error).message}` };
    }
  } finally {
    clearInterval(renew);
  }

  const finished = await finishAttempt(ctx.db, transcriptId, attempt, outcome);
  ctx.transcripts.invalidate(transcriptId);
  if (!finished) {
    log.warn('attempt superseded or transcript deleted; result discarded');
    return;
  }
  log.info({ status: 'result' in outcome ? 'completed' : 'error', ms: Date.now() - started, error: 'error' in outcome ? outcome.error : undefined }, 'transcription finished');
  if (row.params.webhook_url) await ctx.queue.enqueueWebhook({ transcriptId });
}
