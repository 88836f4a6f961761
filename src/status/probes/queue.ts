import type { Probe } from './types.js';
import { failed } from './types.js';

/**
 * The queue answers (pg-boss round trip), and user jobs do not pile up: how many wait and for how
 * long. Waiting longer than the limit is degraded; waiting that long with nothing running means
 * no worker is taking jobs at all, an outage. The probe's own jobs are not counted.
 */
export const probeQueue: Probe<'queue' | 'db' | 'projectId' | 'slowMs'> = async (env) => {
  const started = performance.now();
  let depth: number;
  let waiting: number;
  let running: number;
  let oldestMs: number;
  try {
    depth = await env.queue.transcriptionDepth();
    const { rows } = await env.db.query<{ waiting: number; running: number; oldest_ms: number | null }>(
      `select count(*) filter (where status = 'queued')::int as waiting, count(*) filter (where status = 'processing')::int as running,
              (extract(epoch from now() - min(created_at) filter (where status = 'queued')) * 1000)::float8 as oldest_ms
         from transcripts where status in ('queued', 'processing') and deleted_at is null and project_id <> $1`,
      [env.projectId],
    );
    ({ waiting, running } = rows[0]!);
    oldestMs = rows[0]!.oldest_ms ?? 0;
  } catch (err) {
    return failed(`queue: ${(err as Error).message}`, performance.now() - started);
  }
  const latencyMs = Math.round(performance.now() - started);
  const limit = env.slowMs.queue;
  const text = `${waiting} user job${waiting === 1 ? '' : 's'} waiting${waiting ? ` (oldest ${Math.round(oldestMs / 1000)} s)` : ''}, ${running} running; ${depth} in the queue`;
  if (limit !== undefined && oldestMs > limit) {
    if (running === 0) return failed(`${text}: no worker is taking jobs`, latencyMs);
    return { observed: 'degraded_performance', latencyMs, message: `${text}: longer than ${Math.round(limit / 1000)} s` };
  }
  return { observed: 'operational', latencyMs, message: text };
};
