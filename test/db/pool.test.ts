import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/db/index.js';
import { createTestDatabase } from '../helpers/server.js';

describe('the PostgreSQL pool', () => {
  let scratch: { url: string; drop: () => Promise<void> };
  let db: Db;
  beforeAll(async () => {
    scratch = await createTestDatabase();
    db = await openDb({ databaseUrl: scratch.url, dataDir: '/nonexistent', dbPoolMax: 2 });
  });
  afterAll(async () => {
    await db?.close();
    await scratch?.drop();
  });

  it('opens no more connections than EARSHOT_DB_POOL_MAX, however many queries wait', async () => {
    const rows = await Promise.all(
      Array.from({ length: 6 }, () =>
        db.query<{ pid: number }>('select pg_backend_pid() as pid from pg_sleep(0.2)').then((r) => r.rows[0]!.pid),
      ),
    );
    expect(new Set(rows).size).toBe(2);
  });
});
