import type { Queryable } from '../../db/index.js';
import type { Observed } from '../model.js';

/** A node's own check of one thing (its HTTP listener, its streaming), for the fleet's view. */
export interface NodeCheck {
  observed: Observed;
  message: string | null;
  at: string;
}

export interface NodeChecks {
  http?: NodeCheck;
  streaming?: NodeCheck;
}

export interface NodeRow {
  instanceId: string;
  version: string;
  hostname: string;
  baseUrl: string;
  startedAt: Date;
  lastSeen: Date;
  checks: NodeChecks;
}

/** Records that this node is alive until `ttlSeconds` from now (and, when given, its latest checks). */
export async function heartbeat(
  db: Queryable,
  n: Omit<NodeRow, 'lastSeen' | 'checks'> & { checks?: NodeChecks },
  ttlSeconds: number,
): Promise<void> {
  await db.query(
    `insert into status_nodes (instance_id, version, hostname, base_url, started_at, last_seen, expires_at, checks)
     values ($1, $2, $3, $4, $5, now(), now() + make_interval(secs => $6), coalesce($7::jsonb, '{}'))
     on conflict (instance_id) do update set version = excluded.version, base_url = excluded.base_url, last_seen = now(),
       expires_at = excluded.expires_at, checks = coalesce($7::jsonb, status_nodes.checks)`,
    [n.instanceId, n.version, n.hostname, n.baseUrl, n.startedAt, ttlSeconds, n.checks ? JSON.stringify(n.checks) : null],
  );
}

/** Nodes whose heartbeat has not run out, oldest first; those gone for a day are forgotten. */
export async function liveNodes(db: Queryable): Promise<NodeRow[]> {
  await db.query("delete from status_nodes where expires_at < now() - interval '1 day'");
  const { rows } = await db.query<{
    instance_id: string;
    version: string;
    hostname: string;
    base_url: string;
    started_at: Date;
    last_seen: Date;
    checks: NodeChecks;
  }>('select * from status_nodes where expires_at > now() order by started_at, instance_id');
  return rows.map((r) => ({
    instanceId: r.instance_id,
    version: r.version,
    hostname: r.hostname,
    baseUrl: r.base_url,
    startedAt: r.started_at,
    lastSeen: r.last_seen,
    checks: r.checks,
  }));
}

/** A node that stops cleanly leaves at once. */
export async function leave(db: Queryable, instanceId: string): Promise<void> {
  await db.query('delete from status_nodes where instance_id = $1', [instanceId]);
}
