import type { Queryable } from '../../db/index.js';
import type { Observed, ProbeStatus } from '../model.js';

export interface ProbeRecord {
  component: string;
  at: Date;
  observed: Observed;
  /** The component's status after this probe. */
  status: ProbeStatus;
  latencyMs: number | null;
  message: string | null;
  /** The node that ran it. */
  instanceId: string;
}

/** Where a probe's time is counted in the rollups; null: nowhere (nothing usable was measured). */
export type TimeBucket = ProbeStatus | 'maintenance' | null;

const COLUMN: Record<Exclude<TimeBucket, null>, string> = {
  operational: 'operational_s',
  degraded_performance: 'degraded_s',
  partial_outage: 'partial_s',
  major_outage: 'major_s',
  maintenance: 'maintenance_s',
};

/** Stores a probe and adds the time it stands for (`seconds`) to its hour and its UTC day. */
export async function recordProbe(db: Queryable, p: ProbeRecord, bucket: TimeBucket, seconds: number): Promise<void> {
  await db.query(
    'insert into status_probes (component, at, observed, status, latency_ms, message, instance_id) values ($1, $2, $3, $4, $5, $6, $7)',
    [p.component, p.at, p.observed, p.status, p.latencyMs, p.message, p.instanceId],
  );
  if (bucket === null || seconds <= 0) return;
  const column = COLUMN[bucket];
  for (const span of ['hour', 'day']) {
    await db.query(
      `insert into status_rollups (component, span, bucket, ${column}) values ($1, $2, date_trunc($2, $3::timestamptz, 'UTC'), $4)
       on conflict (component, span, bucket) do update set ${column} = status_rollups.${column} + excluded.${column}`,
      [p.component, span, p.at, seconds],
    );
  }
}

/** Drops probes and daily history older than `days`; hourly history is only read for the last 24 hours. */
export async function pruneProbes(db: Queryable, days: number): Promise<void> {
  await db.query('delete from status_probes where at < now() - make_interval(secs => $1)', [days * 86_400]);
  await db.query("delete from status_rollups where span = 'day' and bucket < now() - make_interval(secs => $1)", [(days + 1) * 86_400]);
  await db.query("delete from status_rollups where span = 'hour' and bucket < now() - interval '2 days'");
}
