import type { Queryable } from '../db/index.js';
import type { ProbeStatus } from './model.js';

/** Seconds spent in each status. */
export interface Seconds {
  operational: number;
  degraded: number;
  partial: number;
  major: number;
  maintenance: number;
}

export interface DayBar {
  /** UTC day, YYYY-MM-DD. */
  date: string;
  /** null: no probe that day. */
  uptime: number | null;
  worst: ProbeStatus | null;
  /** Some of the day was scheduled maintenance. */
  maintenance: boolean;
}

export interface Uptime {
  d1: number | null;
  d7: number | null;
  d30: number | null;
  d90: number | null;
}

export interface ComponentHistory {
  /** Oldest first, 90 of them, the last one today. */
  days: DayBar[];
  uptime: Uptime;
  /** The last 24 hours of probes that measured a response time, oldest first. */
  latency: { at: Date; ms: number }[];
}

export const BAR_DAYS = 90;
const ZERO: Seconds = { operational: 0, degraded: 0, partial: 0, major: 0, maintenance: 0 };

const add = (a: Seconds, b: Seconds): Seconds => ({
  operational: a.operational + b.operational,
  degraded: a.degraded + b.degraded,
  partial: a.partial + b.partial,
  major: a.major + b.major,
  maintenance: a.maintenance + b.maintenance,
});

/**
 * Statuspage's rule: a major outage is down time, a partial outage counts 30 %, degraded performance
 * is up; maintenance and unprobed time are left out. null when nothing was measured.
 */
export function uptimeOf(s: Seconds): number | null {
  const known = s.operational + s.degraded + s.partial + s.major;
  if (known <= 0) return null;
  return Math.max(0, (known - s.major - 0.3 * s.partial) / known);
}

export function worstOf(s: Seconds): ProbeStatus | null {
  if (s.major > 0) return 'major_outage';
  if (s.partial > 0) return 'partial_outage';
  if (s.degraded > 0) return 'degraded_performance';
  if (s.operational > 0) return 'operational';
  return null;
}

const dayKey = (d: Date) => d.toISOString().slice(0, 10);

interface RollupRow {
  component: string;
  span: 'hour' | 'day';
  bucket: Date;
  operational_s: number;
  degraded_s: number;
  partial_s: number;
  major_s: number;
  maintenance_s: number;
}

/** 90 daily bars and uptime over 24 h, 7, 30 and 90 days, read from the rollups (at most ~115 rows per component). */
export async function loadHistory(db: Queryable, componentIds: string[], now = new Date()): Promise<Map<string, ComponentHistory>> {
  const today = new Date(`${dayKey(now)}T00:00:00Z`);
  const firstDay = new Date(today.getTime() - (BAR_DAYS - 1) * 86_400_000);
  const { rows } = await db.query<RollupRow>(
    `select component, span, bucket, operational_s, degraded_s, partial_s, major_s, maintenance_s from status_rollups
      where component = any($1::text[]) and ((span = 'day' and bucket >= $2) or (span = 'hour' and bucket >= $3))`,
    [componentIds, firstDay, new Date(now.getTime() - 24 * 3_600_000)],
  );
  const { rows: probes } = await db.query<{ component: string; at: Date; latency_ms: number }>(
    `select component, at, latency_ms from status_probes
      where component = any($1::text[]) and at >= $2 and latency_ms is not null order by at`,
    [componentIds, new Date(now.getTime() - 24 * 3_600_000)],
  );
  const out = new Map<string, ComponentHistory>();
  for (const id of componentIds) {
    const mine = rows.filter((r) => r.component === id);
    const latency = probes.filter((p) => p.component === id).map((p) => ({ at: new Date(p.at), ms: Number(p.latency_ms) }));
    const seconds = (r: RollupRow): Seconds => ({
      operational: r.operational_s,
      degraded: r.degraded_s,
      partial: r.partial_s,
      major: r.major_s,
      maintenance: r.maintenance_s,
    });
    const byDay = new Map(mine.filter((r) => r.span === 'day').map((r) => [dayKey(r.bucket), seconds(r)]));
    const days: DayBar[] = [];
    let d7 = ZERO;
    let d30 = ZERO;
    let d90 = ZERO;
    for (let i = 0; i < BAR_DAYS; i++) {
      const date = dayKey(new Date(firstDay.getTime() + i * 86_400_000));
      const s = byDay.get(date) ?? ZERO;
      days.push({ date, uptime: uptimeOf(s), worst: worstOf(s), maintenance: s.maintenance > 0 });
      const fromEnd = BAR_DAYS - i;
      if (fromEnd <= 7) d7 = add(d7, s);
      if (fromEnd <= 30) d30 = add(d30, s);
      d90 = add(d90, s);
    }
    const d1 = mine
      .filter((r) => r.span === 'hour')
      .map(seconds)
      .reduce(add, ZERO);
    out.set(id, { days, uptime: { d1: uptimeOf(d1), d7: uptimeOf(d7), d30: uptimeOf(d30), d90: uptimeOf(d90) }, latency });
  }
  return out;
}
