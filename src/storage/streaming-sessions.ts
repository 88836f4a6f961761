import type { Db, Queryable } from '../db/index.js';

/** A live session's row lives this long past its node's last heartbeat, so a killed node's sessions stop counting. */
export const SESSION_TTL_SECONDS = 30;
/** Any key no other advisory lock in Earshot uses (start-up takes 7462001). */
const CAP_LOCK = 7462002;

/**
 * Takes one of the fleet's `max` live-session slots for `id`, or returns false when all are taken. The count and the
 * insert run under one transaction-scoped advisory lock: without it two nodes could both see max - 1 and both insert.
 */
export async function claimStreamingSession(
  db: Db,
  s: { id: string; instanceId: string; projectId: string; max: number },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [CAP_LOCK]);
    await tx.query('delete from streaming_sessions where expires_at <= now()');
    const { rows } = await tx.query(
      `insert into streaming_sessions (id, instance_id, project_id, expires_at)
       select $1, $2, $3, now() + $4::int * interval '1 second'
        where (select count(*) from streaming_sessions) < $5
       returning 1`,
      [s.id, s.instanceId, s.projectId, SESSION_TTL_SECONDS, s.max],
    );
    return rows.length === 1;
  });
}

/** A session already running, admitted while the database was away: counted from now on, whatever the limit. */
export async function recordStreamingSession(db: Queryable, s: { id: string; instanceId: string; projectId: string }): Promise<void> {
  await db.query(
    `insert into streaming_sessions (id, instance_id, project_id, expires_at) values ($1, $2, $3, now() + $4::int * interval '1 second')
     on conflict (id) do nothing`,
    [s.id, s.instanceId, s.projectId, SESSION_TTL_SECONDS],
  );
}

export async function releaseStreamingSession(db: Queryable, id: string): Promise<void> {
  await db.query('delete from streaming_sessions where id = $1', [id]);
}

/** Keeps this node's sessions counted. */
export async function heartbeatStreamingSessions(db: Queryable, instanceId: string): Promise<void> {
  await db.query(`update streaming_sessions set expires_at = now() + $2::int * interval '1 second' where instance_id = $1`, [
    instanceId,
    SESSION_TTL_SECONDS,
  ]);
}

/** On a clean stop: this node's sessions are over. */
export async function releaseInstanceStreamingSessions(db: Queryable, instanceId: string): Promise<void> {
  await db.query('delete from streaming_sessions where instance_id = $1', [instanceId]);
}
