import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/db/index.js';
import { EMBEDDED_SHARED_BUFFERS, pgliteModule } from '../../src/db/pglite-module.js';

describe('the embedded database (PGlite) with its smaller buffer pool', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'earshot-pglite-module-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('finds the shipped setting exactly once and replaces it with one of the same length', async () => {
    expect(EMBEDDED_SHARED_BUFFERS).toHaveLength('shared_buffers=128MB'.length);
    expect((await pgliteModule()).patched).toBe(true);
  });

  it('runs with 16 MB of shared buffers, and keeps what it stored across a reopen', async () => {
    const db = await openDb({ dataDir, databaseUrl: null });
    try {
      const { rows } = await db.query<{ setting: string }>("select current_setting('shared_buffers') as setting");
      expect(rows[0]!.setting).toBe('16MB');
      await db.query('create table kept (n int)');
      await db.query('insert into kept select generate_series(1, 50000)');
    } finally {
      await db.close();
    }
    const again = await openDb({ dataDir, databaseUrl: null });
    try {
      const { rows } = await again.query<{ n: number }>('select count(*)::int as n from kept');
      expect(rows[0]!.n).toBe(50_000);
    } finally {
      await again.close();
    }
  });
});
