import { randomUUID } from 'node:crypto';
import type { Db } from '../db/index.js';
import type { Queue } from '../queue/index.js';
import { insertTranscript, setJobId } from '../storage/transcripts.js';
import type { TranscriptParams } from '../transcript/params.js';
import type { TranscriptRow } from '../transcript/types.js';

export interface NewTranscript {
  projectId: string;
  params: TranscriptParams;
  /** The Earshot upload `audio_url` names (read in place), or null for a URL to download. */
  uploadId: string | null;
  /** pg-boss priority: user jobs 0; the status probe's below, so it never overtakes one. */
  priority?: number;
}

/**
 * The one way a transcript is submitted (`POST /v2/transcript`, the status probe): the row and its job
 * in one transaction, so a transcript never exists without its job.
 */
export async function createTranscript(deps: { db: Db; queue: Queue }, t: NewTranscript): Promise<{ row: TranscriptRow; jobId: string }> {
  const id = randomUUID();
  return deps.db.transaction(async (tx) => {
    const row = await insertTranscript(tx, { id, projectId: t.projectId, params: t.params, uploadId: t.uploadId });
    const jobId = await deps.queue.enqueueTranscription(id, { fromUrl: t.uploadId === null, priority: t.priority, db: tx });
    await setJobId(tx, id, jobId);
    return { row, jobId };
  });
}
