import type { Queryable } from '../../db/index.js';
import type { Observed, ProbeStatus } from '../model.js';

/** A component's state as the monitor keeps it (status with hysteresis, and the latest probe). */
export interface ComponentState {
  id: string;
  name: string;
  status: ProbeStatus;
  /** False while the component is not set up here (no LLM configured, an upstream never reached). */
  active: boolean;
  badStreak: number;
  goodStreak: number;
  lastObserved: Observed | null;
  lastProbeAt: Date | null;
  lastLatencyMs: number | null;
  lastMessage: string | null;
  createdAt: Date;
  /** When `status` last changed. */
  updatedAt: Date;
}

interface Row {
  id: string;
  name: string;
  status: ProbeStatus;
  active: boolean;
  bad_streak: number;
  good_streak: number;
  last_observed: Observed | null;
  last_probe_at: Date | null;
  last_latency_ms: number | null;
  last_message: string | null;
  created_at: Date;
  updated_at: Date;
}

const fromRow = (r: Row): ComponentState => ({
  id: r.id,
  name: r.name,
  status: r.status,
  active: r.active,
  badStreak: r.bad_streak,
  goodStreak: r.good_streak,
  lastObserved: r.last_observed,
  lastProbeAt: r.last_probe_at,
  lastLatencyMs: r.last_latency_ms,
  lastMessage: r.last_message,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export async function loadComponents(db: Queryable): Promise<ComponentState[]> {
  const { rows } = await db.query<Row>('select * from status_components');
  return rows.map(fromRow);
}

/** The component's row, locked until the transaction `tx` ends (so one probe at a time weighs into it). */
export async function lockComponent(tx: Queryable, id: string): Promise<ComponentState | null> {
  const { rows } = await tx.query<Row>('select * from status_components where id = $1 for update', [id]);
  return rows[0] ? fromRow(rows[0]) : null;
}

/** Saves a component's state; a state older than the stored one (replayed after an outage) is not written over it. */
export async function saveComponent(db: Queryable, c: ComponentState): Promise<void> {
  await db.query(
    `insert into status_components (id, name, status, active, bad_streak, good_streak, last_observed, last_probe_at, last_latency_ms, last_message, created_at, updated_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
     on conflict (id) do update set name = excluded.name, status = excluded.status, active = excluded.active,
       bad_streak = excluded.bad_streak, good_streak = excluded.good_streak, last_observed = excluded.last_observed,
       last_probe_at = excluded.last_probe_at, last_latency_ms = excluded.last_latency_ms, last_message = excluded.last_message,
       updated_at = excluded.updated_at
     where status_components.last_probe_at is null or excluded.last_probe_at is null or status_components.last_probe_at <= excluded.last_probe_at`,
    [
      c.id,
      c.name,
      c.status,
      c.active,
      c.badStreak,
      c.goodStreak,
      c.lastObserved,
      c.lastProbeAt,
      c.lastLatencyMs,
      c.lastMessage,
      c.createdAt,
      c.updatedAt,
    ],
  );
}
