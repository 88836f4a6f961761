/** A fresh, migrated database for storage tests: embedded (PGlite) or on the test PostgreSQL server. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDb, type Db } from '../../src/db/index.js';
import { migrate } from '../../src/db/migrations.js';
import { POSTGRES_ADMIN_URL, type StorageMode } from './server.js';

export interface TestDb {
  db: Db;
  /** A temporary data directory (holds the PGlite database in pglite mode). */
  dataDir: string;
  /** The PostgreSQL connection string in postgres mode, else null. */
  databaseUrl: string | null;
  /** Closes the database and removes it and the data directory. */
  drop(): Promise<void>;
}

export async function freshDb(storage: StorageMode): Promise<TestDb> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'earshot-db-'));
  let databaseUrl: string | null = null;
  let dropDatabase = async () => undefined;
  if (storage === 'postgres') {
    const name = `earshot_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(POSTGRES_ADMIN_URL);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    dropDatabase = async () => {
      const c = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    };
  }
  const db = await openDb({ dataDir, databaseUrl });
  await migrate(db);
  return {
    db,
    dataDir,
    databaseUrl,
    async drop() {
      await db.close();
      await dropDatabase();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
