import { AsyncLocalStorage } from 'node:async_hooks';
import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import { settings, type Config } from '../config.js';
import { lockFile } from './dir-lock.js';
import { startPgliteThread, THREAD_GONE } from './pglite.js';

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
  /**
   * Runs `fn` while no other process on this database runs one (nested calls join the outer one).
   * Nodes of a fleet started at once take turns at migrations, pg-boss's schema and the first key.
   */
  exclusively<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The database cannot be reached (refused, cut, gone silent, shutting down): requests answer 503, not 500. */
export class DatabaseUnavailableError extends Error {
  constructor(cause: Error) {
    super(cause.message, { cause });
    this.name = 'DatabaseUnavailableError';
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** node-postgres's own words for a connection it lost or could not make, and the embedded database's thread gone. */
const LOST = new RegExp(
  `Connection terminated|timeout exceeded when trying to connect|connection error and is not queryable|after calling end on the pool|${THREAD_GONE}`,
);

/**
 * A failure of the connection rather than of the statement: SQLSTATE class 08 (connection exception),
 * 57P01–57P03 (shutting down, starting up), 53300 (too many connections), 3D000 (database dropped), and
 * 55000 when the database is closed to connections.
 */
function connectionLost(err: Error): boolean {
  const { code = '' } = err as { code?: string };
  return (
    NETWORK_CODES.has(code) ||
    code.startsWith('08') ||
    /^57P0[123]$/.test(code) ||
    code === '53300' ||
    code === '3D000' ||
    (code === '55000' && /not currently accepting connections/.test(err.message)) ||
    LOST.test(err.message)
  );
}

/** Whether `err` is a lost or refused database connection (wrapped or not), rather than a statement's own fault. */
export function isConnectionLoss(err: unknown): boolean {
  return err instanceof DatabaseUnavailableError || (err instanceof Error && connectionLost(err));
}

/** Connection failures rethrown as DatabaseUnavailableError; any other error as it was. */
const guarded = <T>(promise: Promise<T>): Promise<T> =>
  promise.catch((err: unknown) => {
    throw err instanceof Error && connectionLost(err) ? new DatabaseUnavailableError(err) : err;
  });

/** The advisory lock behind `exclusively`, on PostgreSQL. */
const START_LOCK = 7462001;

export async function openDb(config: Pick<Config, 'databaseUrl' | 'dataDir'> & Partial<Pick<Config, 'dbPoolMax'>>): Promise<Db> {
  const poolMax = config.dbPoolMax ?? settings.dbPoolMax.default;
  return config.databaseUrl ? openPostgres(config.databaseUrl, poolMax) : openPglite(path.join(config.dataDir, 'db'));
}

async function openPostgres(url: string, poolMax: number): Promise<Db> {
  const { default: pg } = await import('pg');
  // int8 (counts, sizes) as numbers: every bigint Earshot stores fits in 2^53.
  pg.types.setTypeParser(20, (v: string) => Number(v));
  // A database host gone silent fails requests after 10 s instead of holding them until TCP gives up.
  const pool = new pg.Pool({ connectionString: url, max: poolMax, application_name: 'earshot', connectionTimeoutMillis: 10_000 });
  pool.on('error', () => {
    // An idle client lost its connection; the pool replaces it on next use.
  });
  await pool.query('select 1');
  const holding = new AsyncLocalStorage<true>();

  async function transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    // A connection cut between two statements is reported as an event: unheard, it would end the process.
    let lost: Error | undefined;
    const onError = (err: Error) => {
      lost = err;
    };
    client.on('error', onError);
    try {
      await client.query('begin');
      const out = await fn({ query: (sql, params) => client.query(sql, params as unknown[]) as never });
      await client.query('commit');
      return out;
    } catch (err) {
      await client.query('rollback').catch((rollbackErr: Error) => {
        lost ??= rollbackErr;
      });
      throw err;
    } finally {
      client.off('error', onError);
      client.release(lost);
    }
  }

  async function exclusively<T>(fn: () => Promise<T>): Promise<T> {
    // A session lock taken before any transaction begins: a transaction that waited for a lock inside itself
    // still reads the catalogue as it was when it began (pg-boss's CREATE SCHEMA then fails with a duplicate key).
    const client = await pool.connect();
    try {
      await client.query('select pg_advisory_lock($1)', [START_LOCK]);
      return await holding.run(true, fn);
    } finally {
      // Unlocked, or the connection is dropped, which unlocks too.
      const broken = await client.query('select pg_advisory_unlock($1)', [START_LOCK]).then(
        () => undefined,
        (err: Error) => err,
      );
      client.release(broken);
    }
  }

  return {
    kind: 'postgres',
    query: (sql, params) => guarded(pool.query(sql, params as unknown[])) as never,
    executeSql: (text, values) => guarded(pool.query(text, values as unknown[])),
    transaction: (fn) => guarded(transaction(fn)),
    exclusively: (fn) => (holding.getStore() ? fn() : guarded(exclusively(fn))),
    close: () => pool.end(),
  };
}

/** The code of the error opening an embedded database another process holds (`earshot keys` then asks that server instead). */
export const DB_IN_USE = 'EARSHOT_DB_IN_USE';

/** PGlite is one process's database: two processes on one directory would corrupt it, so a lock file guards it. */
function lockDir(dir: string): () => void {
  // Beside the database directory, not in it: PGlite's initdb wants an empty directory.
  return lockFile(`${dir}.pid`, (holder) =>
    Object.assign(
      new Error(
        `The embedded database in ${dir} is in use by another Earshot process (pid ${holder}). ` +
          'Stop it first, or run both against a PostgreSQL server with DATABASE_URL.',
      ),
      { code: DB_IN_USE },
    ),
  );
}

async function openPglite(dir: string): Promise<Db> {
  await mkdir(dir, { recursive: true });
  const unlock = lockDir(dir);
  const thread = await startPgliteThread(dir).catch((err: unknown) => {
    unlock();
    throw err;
  });
  const query = (sql: string, params?: unknown[], tx?: number) => thread.ask<{ rows: never[] }>({ op: 'query', sql, params, tx });
  async function transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const tx = await thread.ask<number>({ op: 'begin' });
    let out: T;
    try {
      out = await fn({ query: (sql, params) => query(sql, params, tx) });
    } catch (err) {
      await thread.ask({ op: 'rollback', tx }).catch(() => undefined);
      throw err;
    }
    await thread.ask({ op: 'commit', tx });
    return out;
  }
  return {
    kind: 'pglite',
    query: (sql, params) => guarded(query(sql, params)),
    async executeSql(text, values) {
      if (values && values.length > 0) return guarded(query(text, values));
      // pg-boss sends migration scripts as one multi-statement string, which only the simple protocol accepts.
      const results = await guarded(thread.ask<unknown[]>({ op: 'exec', sql: text }));
      return results.length === 1 ? results[0] : results;
    },
    transaction: (fn) => guarded(transaction(fn)),
    // The data-dir lock already makes this process the database's only user.
    exclusively: (fn) => fn(),
    async close() {
      await thread.close();
      unlock();
    },
  };
}
