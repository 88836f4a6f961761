import type { AppContext } from '../context.js';
import { QUEUES } from '../queue/index.js';
import { removeExpiredStreamingTokens } from '../storage/streaming-tokens.js';
import { orphanedJobs } from '../storage/transcripts.js';

/** Hands back to the queue every job whose worker stopped renewing its lease (killed process, lost machine). */
export async function requeueOrphans(ctx: AppContext): Promise<number> {
  const orphans = await orphanedJobs(ctx.db);
  for (const o of orphans) {
    if (!o.job_id) continue;
    await ctx.queue.requeue(QUEUES.transcribe, o.job_id);
    ctx.log.warn({ transcript: o.id, job: o.job_id }, 're-queued a transcription whose worker was lost');
  }
  return orphans.length;
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
  if (uploads + peaks > 0) ctx.log.info({ uploads, peaks }, 'orphaned blobs removed');
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
