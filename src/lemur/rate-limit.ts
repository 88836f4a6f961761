import type { Queryable } from '../db/index.js';

export interface RateState {
  limit: number;
  remaining: number;
  /** Seconds until the window starts again. */
  resetSeconds: number;
  allowed: boolean;
}

/**
 * Upstream LeMUR's limit: so many requests per project in a window (60 s) that starts with its first request,
 * reported in X-RateLimit-* headers. Counted in the database, so a fleet allows the limit in all, not per node:
 * one row per project, renewed or counted up by one atomic upsert.
 */
export class RateLimiter {
  constructor(
    /** 0: no limit. */
    readonly limit: number,
    private readonly windowMs = 60_000,
  ) {}

  async take(db: Queryable, key: string): Promise<RateState> {
    const { rows } = await db.query<{ count: number; reset_ms: number }>(
      `insert into llm_rate_windows as w (project_id, window_start, count) values ($1, clock_timestamp(), 1)
       on conflict (project_id) do update set
         window_start = case when w.window_start <= clock_timestamp() - $2::int * interval '1 millisecond'
                             then clock_timestamp() else w.window_start end,
         count = case when w.window_start <= clock_timestamp() - $2::int * interval '1 millisecond' then 1 else w.count + 1 end
       returning count, extract(epoch from w.window_start + $2::int * interval '1 millisecond' - clock_timestamp())::float8 * 1000 as reset_ms`,
      [key, this.windowMs],
    );
    const { count, reset_ms } = rows[0]!;
    const used = Math.min(count, this.limit);
    return {
      limit: this.limit,
      remaining: this.limit - used,
      resetSeconds: Math.max(1, Math.ceil(reset_ms / 1000)),
      allowed: count <= this.limit,
    };
  }
}
