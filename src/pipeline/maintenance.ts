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

/** The scheduled clean-up: expired uploads no transcript uses, and dead streaming tokens. */
export async function runMaintenance(ctx: AppContext): Promise<void> {
  const removed = await ctx.uploads.removeExpired();
  if (removed > 0) ctx.log.info({ removed }, 'expired uploads removed');
  await removeExpiredStreamingTokens(ctx.db);
}
