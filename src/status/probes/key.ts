import os from 'node:os';
import type { Queryable } from '../../db/index.js';
import { createKey, revokeKey } from '../../storage/keys.js';

/** Probe jobs live in a project of their own: users never see them, and the queue probe can leave them out. */
export const PROBE_PROJECT = 'earshot-status-probes';

/** A key for this process's probes (keys are stored hashed, so each process makes its own and revokes it on stop). */
export async function createProbeKey(db: Queryable): Promise<{ key: string; id: string; projectId: string }> {
  const k = await createKey(db, { project: PROBE_PROJECT, name: `status probes (${os.hostname()} pid ${process.pid})` });
  return { key: k.key, id: k.id, projectId: k.project_id };
}

export async function revokeProbeKey(db: Queryable, id: string): Promise<void> {
  await revokeKey(db, id);
}

/** Deleted probe transcripts are scrubbed rows; past a day they are dropped outright. */
export async function pruneProbeTranscripts(db: Queryable, projectId: string): Promise<void> {
  await db.query("delete from transcripts where project_id = $1 and deleted_at < now() - interval '1 day'", [projectId]);
}
