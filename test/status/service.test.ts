import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';
import { fastStatusEnv, operator, queryDatabase } from './helpers.js';

describe('status history retention (EARSHOT_STATUS_RETENTION_DAYS)', () => {
  let server: TestServer;

  beforeAll(async () => {
    // No round on a timer: the test runs the one that prunes, after it has planted old history.
    server = await startServer({
      storage: 'postgres',
      env: fastStatusEnv({ EARSHOT_STATUS_PROBE_SECONDS: '3600', EARSHOT_STATUS_RETENTION_DAYS: '7' }),
    });
  });
  afterAll(() => server?.destroy());

  it('drops probes and daily history older than the setting after a probe round, and keeps the rest', async () => {
    // 8 days is well inside the default 90: only the setting can make it too old.
    await queryDatabase(
      server,
      `insert into status_probes (component, at, observed, status, instance_id) values
         ('old', now() - interval '8 days', 'operational', 'operational', 'gone-node'),
         ('old', now() - interval '6 days', 'operational', 'operational', 'gone-node')`,
    );
    // Daily rollups are kept a day longer than probes (a day's bar starts at its UTC midnight).
    await queryDatabase(
      server,
      `insert into status_rollups (component, span, bucket, operational_s) values
         ('old', 'day', date_trunc('day', now() - interval '10 days', 'UTC'), 60),
         ('old', 'day', date_trunc('day', now() - interval '6 days', 'UTC'), 60)`,
    );
    const res = await operator(server, '/status/probe');
    expect(res.status).toBe(200);
    // One row of each is left: the recent one.
    const probes = await queryDatabase(
      server,
      "select at > now() - interval '7 days' as recent from status_probes where component = 'old'",
    );
    expect(probes).toEqual([{ recent: true }]);
    const rollups = await queryDatabase(
      server,
      "select bucket > now() - interval '7 days' as recent from status_rollups where component = 'old' and span = 'day'",
    );
    expect(rollups).toEqual([{ recent: true }]);
  });
});
