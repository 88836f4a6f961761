import { randomUUID } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { AppContext } from '../context.js';
import { RedactedAudioStore } from '../storage/redacted-audio.js';
import { removeExpiredStreamingTokens } from '../storage/streaming-tokens.js';
import { attemptAlive, loseWorker, orphanedJobs, type OrphanRow } from '../storage/transcripts.js';
import { parseDownloadName } from './transcribe.js';

/** The transcript's error once its worker has died `times` times: upstream's shape, no internal detail. */
export const workerLostError = (times: number) =>
  `Transcription failed: the worker processing this file stopped ${times} times; the file may be too long or malformed. ` +
  'Please check the file and submit it again.';

/**
 * Every job whose worker stopped renewing its lease (killed process, lost machine) goes back to the
 * queue as a new job, or, once its workers have died EARSHOT_JOB_MAX_ATTEMPTS times, ends with an
 * error (and its webhook). `runningHere`: attempts this process still runs, whose renewal is merely
 * late (the database was away), are left alone. Returns how many jobs were handled.
 */
export async function reapLostJobs(ctx: AppContext, runningHere: (transcriptId: string) => boolean = () => false): Promise<number> {
  let handled = 0;
  for (const o of await orphanedJobs(ctx.db)) {
    if (runningHere(o.id)) continue;
    if (await reap(ctx, o)) handled++;
  }
  return handled;
}

async function reap(ctx: AppContext, o: OrphanRow): Promise<boolean> {
  const lost = o.workers_lost + 1;
  const log = ctx.log.child({ transcript: o.id, attempt: o.attempt, workersLost: lost });
  // Each in one transaction with the job it queues, so a crash between the two loses neither.
  const done = await ctx.db.transaction(async (tx) => {
    if (lost >= ctx.config.jobMaxAttempts) {
      if (!(await loseWorker(tx, o.id, o.attempt, { error: workerLostError(lost) }))) return null;
      if (o.webhook_url) await ctx.queue.enqueueWebhook({ transcriptId: o.id }, tx);
      return 'ended';
    }
    const jobId = randomUUID();
    if (!(await loseWorker(tx, o.id, o.attempt, { jobId }))) return null;
    await ctx.queue.enqueueTranscription(o.id, { fromUrl: o.upload_id === null, id: jobId, db: tx });
    return 'requeued';
  });
  ctx.transcripts.invalidate(o.id);
  if (done === 'ended') log.error('transcription ended with an error: its worker was lost too many times');
  if (done === 'requeued') log.warn('re-queued a transcription whose worker was lost');
  return done !== null;
}

/**
 * Removes what killed attempts left in `<data-dir>/tmp` (partial downloads, copies of remote uploads).
 * Each file names its transcript and attempt; one whose attempt still holds its lease may be in the
 * middle of being written by another node sharing the data dir, and stays.
 */
export async function removeStaleDownloads(ctx: AppContext): Promise<number> {
  const dir = path.join(ctx.config.dataDir, 'tmp');
  let removed = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const owner = parseDownloadName(name);
    if (!owner || (await attemptAlive(ctx.db, owner.transcriptId, owner.attempt))) continue;
    await rm(path.join(dir, name), { force: true });
    removed++;
  }
  if (removed > 0) ctx.log.info({ removed }, 'partial downloads of stopped attempts removed');
  return removed;
}

/** An upload blob younger than this may be waiting for its row (stored, not yet recorded): left alone. */
const ORPHAN_GRACE_MS = 3600_000;

/**
 * Removes blobs whose rows are gone: deleted or expired by a node that could not reach them (local
 * disks on a fleet), or stored by a request cut off before it recorded them.
 */
export async function removeOrphanBlobs(ctx: AppContext): Promise<void> {
  const uploads = await ctx.uploads.removeOrphans(ORPHAN_GRACE_MS);
  const peaks = await ctx.peaks.removeOrphans(ctx.db);
  const redacted = await new RedactedAudioStore(ctx.uploads.blobs).removeOrphans(ctx.db);
  if (uploads + peaks + redacted > 0) ctx.log.info({ uploads, peaks, redacted }, 'orphaned blobs removed');
}

/**
 * The scheduled clean-up (one node of a fleet runs each round): expired uploads no transcript uses,
 * dead streaming tokens, and orphans in a shared blob store (each node sweeps its own disk: server.ts).
 */
export async function runMaintenance(ctx: AppContext): Promise<void> {
  const removed = await ctx.uploads.removeExpired();
  if (removed > 0) ctx.log.info({ removed }, 'expired uploads removed');
  await removeExpiredStreamingTokens(ctx.db);
  if (ctx.uploads.blobs.shared) await removeOrphanBlobs(ctx);
}
