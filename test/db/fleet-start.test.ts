import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { api, createTestDatabase, startServer, type TestServer } from '../helpers/server.js';

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

/**
 * Nodes of a fleet started at the same moment on an empty database: Earshot's migrations, pg-boss's schema
 * and the first key are made once, under one lock, instead of racing (CREATE SCHEMA IF NOT EXISTS is not safe
 * against a concurrent one, even inside pg-boss's own advisory lock).
 */
describe('first start of three nodes at once on an empty PostgreSQL database', () => {
  // Round 0 lets the fleet generate its first key; the others share a configured EARSHOT_API_KEY.
  it.each([0, 1, 2])(
    'round %i: every node comes up and serves, with one default project',
    async (round) => {
      const scratch = await createTestDatabase();
      const key = round === 0 ? false : randomBytes(16).toString('hex');
      const started = await Promise.allSettled(
        [0, 1, 2].map(() => startServer({ storage: 'postgres', databaseUrl: scratch.url, apiKey: key })),
      );
      const servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      try {
        expect(started.filter((s) => s.status === 'rejected').map((s) => String((s as PromiseRejectedResult).reason))).toEqual([]);
        let serverKey = key as string;
        if (key === false) {
          // Exactly one node generated (and printed) the first key; the others found it.
          const printed = servers.flatMap((s: TestServer) => /Created an API key.*\n\n {2}([0-9a-f]{32})\n/s.exec(s.output())?.[1] ?? []);
          expect(printed).toHaveLength(1);
          serverKey = printed[0]!;
        }
        for (const server of servers) {
          const res = await api(server, '/v2/transcript', { headers: { authorization: serverKey } });
          expect(res.status).toBe(200);
        }
        const projects = await query<{ name: string; n: number }>(
          scratch.url,
          'select name, count(*)::int as n from projects group by name order by name',
        );
        expect(projects.find((p) => p.name === 'default')).toEqual({ name: 'default', n: 1 });
        expect(projects.every((p) => p.n === 1)).toBe(true);
        const keys = await query<{ n: number }>(
          scratch.url,
          "select count(*)::int as n from api_keys k join projects p on p.id = k.project_id where p.name = 'default'",
        );
        expect(keys[0]!.n).toBe(1);
        // Earshot's queues, besides pg-boss's own (its scheduler's `__pgboss__send-it`).
        const queues = await query<{ name: string }>(
          scratch.url,
          "select name from pgboss.queue where name not like '\\_\\_pgboss%' order by name",
        );
        expect(queues.map((q) => q.name)).toEqual(['maintenance', 'transcribe', 'transcribe-url', 'webhook']);
      } finally {
        await Promise.all(servers.map((s) => s.destroy()));
        await scratch.drop();
      }
    },
    180_000,
  );
});
