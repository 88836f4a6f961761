import type { Queryable } from '../../db/index.js';
import { createKey, revokeKey } from '../../storage/keys.js';

/** Probe jobs live in a project of their own: users never see them, and the queue probe can leave them out. */
export const PROBE_PROJECT = 'earshot-status-probes';

const keyName = (instanceId: string) => `status probes (instance ${instanceId})`;

/**
 * Keys of probe processes that are gone without revoking theirs (kill -9): named after an instance
 * with no live heartbeat (status_nodes), or in the hostname + pid form of earlier versions.
 */
async function revokeStaleKeys(db: Queryable): Promise<void> {
  const { rows } = await db.query<{ id: string }>(
    `select k.id from api_keys k join projects p on p.id = k.project_id
      where p.name = $1 and k.revoked_at is null
        and not exists (select 1 from status_nodes n where n.expires_at > now() and k.name = 'status probes (instance ' || n.instance_id || ')')`,
    [PROBE_PROJECT],
  );
  for (const { id } of rows) await revokeKey(db, id);
}

/** A key for this process's probes (keys are stored hashed, so each process makes its own and revokes it on stop). Call after this node's first heartbeat. */
export async function createProbeKey(db: Queryable, instanceId: string): Promise<{ key: string; id: string; projectId: string }> {
  await revokeStaleKeys(db);
  const k = await createKey(db, { project: PROBE_PROJECT, name: keyName(instanceId) });
  return { key: k.key, id: k.id, projectId: k.project_id };
}

export async function revokeProbeKey(db: Queryable, id: string): Promise<void> {
  await revokeKey(db, id);
}

/** Probe transcripts (deleted by their probe, or left behind by one that was killed) are dropped after a day. */
export async function pruneProbeTranscripts(db: Queryable, projectId: string): Promise<void> {
  await db.query("delete from transcripts where project_id = $1 and created_at < now() - interval '1 day'", [projectId]);
}
