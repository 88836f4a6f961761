import type { Queryable } from '../../db/index.js';

/** A value made once and shared by every node of a fleet (the first node to start writes it). */
export async function sharedValue(db: Queryable, key: string, make: () => string): Promise<string> {
  await db.query('insert into status_meta (key, value) values ($1, $2) on conflict (key) do nothing', [key, make()]);
  const { rows } = await db.query<{ value: string }>('select value from status_meta where key = $1', [key]);
  return rows[0]!.value;
}

/** Whether the round `name` ran less than an interval ago on some node (its next one is not yet due). */
export async function roundIsRecent(db: Queryable, name: string): Promise<boolean> {
  const { rows } = await db.query('select 1 from status_ticks where name = $1 and next_at > now()', [name]);
  return rows.length > 0;
}

/**
 * Claims the round `name` if it is due, and makes the next one due in `seconds`: of a fleet whose
 * nodes all keep timers, one node runs each round. The next round is due slightly early so that
 * the claiming node's own timer, firing one interval later, finds it due.
 */
export async function claimRound(db: Queryable, name: string, seconds: number): Promise<boolean> {
  const { rows } = await db.query(
    `insert into status_ticks (name, next_at) values ($1, now() + make_interval(secs => $2))
     on conflict (name) do update set next_at = excluded.next_at where status_ticks.next_at <= now()
     returning name`,
    [name, seconds * 0.9],
  );
  return rows.length > 0;
}
