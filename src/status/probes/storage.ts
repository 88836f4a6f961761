import type { Probe } from './types.js';
import { byLatency, failed } from './types.js';

/** A write and a read on the database: a read-only or full disk fails it as surely as a dead server. */
export const probeStorage: Probe<'db' | 'slowMs'> = async (env) => {
  const started = performance.now();
  try {
    await env.db.query(
      "insert into status_meta (key, value) values ('probe', now()::text) on conflict (key) do update set value = excluded.value",
    );
    const { rows } = await env.db.query<{ value: string }>("select value from status_meta where key = 'probe'");
    if (!rows[0]) return failed('the row just written could not be read back', performance.now() - started);
  } catch (err) {
    return failed(`database (${env.db.kind}): ${(err as Error).message}`, performance.now() - started);
  }
  const ms = performance.now() - started;
  return byLatency(env, 'storage', ms, `${env.db.kind} round trip ${Math.round(ms)} ms`);
};
