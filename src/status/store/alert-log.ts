import type { Queryable } from '../../db/index.js';
import type { Subscriber } from './subscribers.js';

/** One try of one alert: the send log operators read with `earshot status alerts`. */
export interface AlertLogEntry {
  subscriberId: string;
  kind: Subscriber['kind'];
  target: string;
  subject: string;
  attempt: number;
  ok: boolean;
  error: string | null;
  at: Date;
}

export async function logAlert(db: Queryable, e: AlertLogEntry): Promise<void> {
  await db.query(
    'insert into status_alert_log (subscriber_id, kind, target, subject, attempt, ok, error, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8)',
    [e.subscriberId, e.kind, e.target, e.subject, e.attempt, e.ok, e.error, e.at],
  );
}

export async function recentAlerts(db: Queryable, limit: number): Promise<AlertLogEntry[]> {
  const { rows } = await db.query<{
    subscriber_id: string;
    kind: Subscriber['kind'];
    target: string;
    subject: string;
    attempt: number;
    ok: boolean;
    error: string | null;
    created_at: Date;
  }>('select * from status_alert_log order by created_at desc, id desc limit $1', [limit]);
  return rows.map((r) => ({
    subscriberId: r.subscriber_id,
    kind: r.kind,
    target: r.target,
    subject: r.subject,
    attempt: r.attempt,
    ok: r.ok,
    error: r.error,
    at: r.created_at,
  }));
}
