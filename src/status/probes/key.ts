import { processAlive } from '../../process-alive.js';
import os from 'node:os';
import type { Queryable } from '../../db/index.js';
import { createKey, revokeKey } from '../../storage/keys.js';

/** Probe jobs live in a project of their own: users never see them, and the queue probe can leave them out. */
export const PROBE_PROJECT = 'earshot-status-probes';

const keyName = (host: string, pid: number) => `status probes (${host} pid ${pid})`;
const NAME = /^status probes \((.+) pid (\d+)\)$/;

/**
 * Keys of earlier probe processes on this machine that died without revoking theirs (kill -9):
 * their pid is gone, or is this process's (a container restarts as pid 1 again).
 */
async function revokeStaleKeys(db: Queryable): Promise<void> {
  const { rows } = await db.query<{ id: string; name: string }>(
    'select k.id, k.name from api_keys k join projects p on p.id = k.project_id where p.name = $1 and k.revoked_at is null',
    [PROBE_PROJECT],
  );
  for (const { id, name } of rows) {
    const m = NAME.exec(name);
    if (!m || m[1] !== os.hostname()) continue;
    const pid = Number(m[2]);
    if (pid === process.pid || !processAlive(pid)) await revokeKey(db, id);
  }
}

/** A key for this process's probes (keys are stored hashed, so each process makes its own and revokes it on stop). */
export async function createProbeKey(db: Queryable): Promise<{ key: string; id: string; projectId: string }> {
  await revokeStaleKeys(db);
  const k = await createKey(db, { project: PROBE_PROJECT, name: keyName(os.hostname(), process.pid) });
  return { key: k.key, id: k.id, projectId: k.project_id };
}

export async function revokeProbeKey(db: Queryable, id: string): Promise<void> {
  await revokeKey(db, id);
}

/** Probe transcripts (deleted by their probe, or left behind by one that was killed) are dropped after a day. */
export async function pruneProbeTranscripts(db: Queryable, projectId: string): Promise<void> {
  await db.query("delete from transcripts where project_id = $1 and created_at < now() - interval '1 day'", [projectId]);
}
