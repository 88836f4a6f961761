/** A fresh, migrated database for storage tests: embedded (PGlite) or on the test PostgreSQL server. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDb, type Db } from '../../src/db/index.js';
import { createScratchDatabase } from '../../src/db/scratch.js';
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
  let dropDatabase = async (): Promise<void> => undefined;
  if (storage === 'postgres') {
    const db = await createScratchDatabase(POSTGRES_ADMIN_URL, 'earshot_test');
    databaseUrl = db.url;
    dropDatabase = db.drop;
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
