import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHistory, uptimeOf } from '../../src/status/history.js';
import { pruneProbes, recordProbe } from '../../src/status/store/probes.js';
import { freshDb, type TestDb } from '../helpers/db.js';

const DAY = 86_400_000;

describe('uptime history', () => {
  let t: TestDb;
  const now = new Date('2025-06-30T12:00:00Z');
  const probe = (component: string, at: Date) => ({
    component,
    at,
    observed: 'operational' as const,
    status: 'operational' as const,
    latencyMs: 1,
    message: null,
    instanceId: 'node-a',
  });

  beforeAll(async () => {
    t = await freshDb('pglite');
  });

  afterAll(async () => {
    await t?.drop();
  });

  it('counts major outages fully, partial outages at 30 %, degraded as up, and leaves maintenance out', () => {
    expect(uptimeOf({ operational: 70, degraded: 10, partial: 10, major: 10, maintenance: 500 })).toBeCloseTo((100 - 10 - 3) / 100, 10);
    expect(uptimeOf({ operational: 0, degraded: 0, partial: 0, major: 0, maintenance: 100 })).toBeNull();
  });

  it('makes 90 UTC daily bars and 24 h / 7 / 30 / 90 day uptime from the rollups', async () => {
    // Today: 1 h major outage in 4 h probed; 10 days ago: a day of maintenance and partial outage; 89 days ago: fine.
    await recordProbe(t.db, probe('a', new Date(now.getTime() - 3_600_000)), 'operational', 3 * 3600);
    await recordProbe(t.db, probe('a', new Date(now.getTime() - 60_000)), 'major_outage', 3600);
    await recordProbe(t.db, probe('a', new Date(now.getTime() - 10 * DAY)), 'maintenance', 7200);
    await recordProbe(t.db, probe('a', new Date(now.getTime() - 10 * DAY)), 'partial_outage', 3600);
    await recordProbe(t.db, probe('a', new Date(now.getTime() - 89 * DAY)), 'operational', 86_400);
    await recordProbe(t.db, probe('a', new Date(now.getTime() - 95 * DAY)), 'major_outage', 86_400); // before the window
    await recordProbe(t.db, probe('a', new Date(now.getTime())), null, 300); // nothing measured: counts nowhere

    const h = (await loadHistory(t.db, ['a', 'never'], now)).get('a')!;
    expect(h.days).toHaveLength(90);
    expect(h.days[89]).toEqual({ date: '2025-06-30', uptime: 0.75, worst: 'major_outage', maintenance: false });
    expect(h.days[79]).toEqual({ date: '2025-06-20', uptime: 0.7, worst: 'partial_outage', maintenance: true });
    expect(h.days[0]).toEqual({ date: '2025-04-02', uptime: 1, worst: 'operational', maintenance: false });
    expect(h.days[50]).toEqual({ date: '2025-05-22', uptime: null, worst: null, maintenance: false });
    expect(h.uptime.d1).toBeCloseTo(0.75);
    expect(h.uptime.d7).toBeCloseTo(0.75);
    expect(h.uptime.d30).toBeCloseTo((5 * 3600 - 3600 - 0.3 * 3600) / (5 * 3600));
    expect(h.uptime.d90).toBeCloseTo((5 * 3600 + 86_400 - 3600 - 0.3 * 3600) / (5 * 3600 + 86_400));
    const never = (await loadHistory(t.db, ['never'], now)).get('never')!;
    expect(never.uptime).toEqual({ d1: null, d7: null, d30: null, d90: null });
  });

  it('prunes probes and history past the retention', async () => {
    await recordProbe(t.db, probe('b', new Date()), 'operational', 300);
    // And ones past it, in this test itself, so that a prune that deleted nothing fails here.
    await recordProbe(t.db, probe('b-old', new Date(Date.now() - 40 * DAY)), 'operational', 300);
    expect((await t.db.query("select 1 from status_probes where component = 'b-old'")).rows).toHaveLength(1);
    await pruneProbes(t.db, 30);
    expect((await t.db.query("select 1 from status_probes where component = 'b-old'")).rows).toHaveLength(0);
    expect((await t.db.query("select 1 from status_rollups where component = 'b-old' and span = 'day'")).rows).toHaveLength(0);
    expect((await t.db.query("select 1 from status_probes where component = 'b'")).rows).toHaveLength(1);
    expect((await t.db.query("select 1 from status_rollups where component = 'b'")).rows).toHaveLength(2);
    const { rows } = await t.db.query<{ n: number }>("select count(*)::int as n from status_probes where at < now() - interval '30 days'");
    expect(rows[0]!.n).toBe(0);
    const left = await t.db.query<{ n: number }>(
      "select count(*)::int as n from status_rollups where span = 'day' and bucket < now() - interval '31 days'",
    );
    expect(left.rows[0]!.n).toBe(0);
  });
});
