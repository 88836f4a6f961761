import { processAlive } from '../process-alive.js';
import path from 'node:path';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { Config } from '../config.js';

/** The part of a database connection the rest of Earshot uses. Both backends speak PostgreSQL. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `fn` inside one transaction on one connection. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** What pg-boss needs: pg-style results, multi-statement text allowed when there are no parameters. */
  executeSql(text: string, values?: unknown[]): Promise<unknown>;
  close(): Promise<void>;
}

export async function openDb(config: Pick<Config, 'databaseUrl' | 'dataDir'>): Promise<Db> {
  return config.databaseUrl ? openPostgres(config.databaseUrl) : openPglite(path.join(config.dataDir, 'db'));
}

async function openPostgres(url: string): Promise<Db> {
  const { default: pg } = await import('pg');
  // int8 (counts, sizes) as numbers: every bigint Earshot stores fits in 2^53.
  pg.types.setTypeParser(20, (v: string) => Number(v));
  const pool = new pg.Pool({ connectionString: url, max: 10, application_name: 'earshot' });
  pool.on('error', () => {
    // An idle client lost its connection; the pool replaces it on next use.
  });
  await pool.query('select 1');
  return {
    kind: 'postgres',
    query: (sql, params) => pool.query(sql, params as unknown[]) as never,
    executeSql: (text, values) => pool.query(text, values as unknown[]),
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const out = await fn({ query: (sql, params) => client.query(sql, params as unknown[]) as never });
        await client.query('commit');
        return out;
      } catch (err) {
        await client.query('rollback').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/** PGlite is one process's database: two processes on one directory would corrupt it, so a pid file guards it. */
async function lockDir(dir: string): Promise<() => Promise<void>> {
  // Beside the database directory, not in it: PGlite's initdb wants an empty directory.
  const file = `${dir}.pid`;
  const holder = Number(await readFile(file, 'utf8').catch(() => ''));
  if (holder && holder !== process.pid && processAlive(holder)) {
    throw new Error(
      `The embedded database in ${dir} is in use by another Earshot process (pid ${holder}). ` +
        'Stop it first, or run both against a PostgreSQL server with DATABASE_URL.',
    );
  }
  await writeFile(file, String(process.pid));
  return () => rm(file, { force: true });
}

async function openPglite(dir: string): Promise<Db> {
  await mkdir(dir, { recursive: true });
  const unlock = await lockDir(dir);
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create(dir);
  return {
    kind: 'pglite',
    query: (sql, params) => db.query(sql, params) as never,
    async executeSql(text, values) {
      if (values && values.length > 0) return db.query(text, values);
      // pg-boss sends migration scripts as one multi-statement string, which only the simple protocol accepts.
      const results = await db.exec(text);
      return results.length === 1 ? results[0] : results;
    },
    transaction: (fn) => db.transaction((tx) => fn({ query: (sql, params) => tx.query(sql, params) as never })),
    async close() {
      await db.close();
      await unlock();
    },
  };
}
