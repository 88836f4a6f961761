import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/db/index.js';

describe('the embedded database on its own thread', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'earshot-pglite-thread-'));
  let db: Db;
  beforeAll(async () => {
    db = await openDb({ dataDir, databaseUrl: null });
    await db.query('create table items (id int primary key, note text, at timestamptz default now(), doc jsonb)');
  });
  afterAll(async () => {
    await db?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('returns rows with their types: numbers, dates and JSON as objects', async () => {
    await db.query('insert into items (id, note, doc) values ($1, $2, $3)', [1, 'one', JSON.stringify({ words: [1, 2] })]);
    const { rows } = await db.query<{ id: number; at: Date; doc: { words: number[] } }>('select id, at, doc from items where id = 1');
    expect(rows[0]!.id).toBe(1);
    expect(rows[0]!.at).toBeInstanceOf(Date);
    expect(rows[0]!.doc).toEqual({ words: [1, 2] });
  });

  it("keeps a PostgreSQL error's fields (SQLSTATE, constraint) across the thread", async () => {
    const err = (await db.query('insert into items (id) values (1)').catch((e: unknown) => e)) as Error & {
      code?: string;
      constraint?: string;
    };
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/duplicate key/);
    expect(err.code).toBe('23505');
    expect(err.constraint).toBe('items_pkey');
  });

  it('commits a transaction, rolls back a failed one, and holds other statements until it ends', async () => {
    await db.transaction(async (tx) => {
      await tx.query("insert into items (id, note) values (2, 'two')");
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.query("insert into items (id, note) values (3, 'three')");
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    const ids = async () => (await db.query<{ id: number }>('select id from items order by id')).rows.map((r) => r.id);
    expect(await ids()).toEqual([1, 2]);

    // A statement from outside waits for the open transaction instead of running inside it.
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const tx = db.transaction(async (t) => {
      await t.query("insert into items (id, note) values (4, 'four')");
      await held;
      await t.query('delete from items where id = 4');
    });
    await new Promise((r) => setTimeout(r, 50));
    const outside = ids();
    release();
    await tx;
    expect(await outside).toEqual([1, 2]);
  });

  it('runs a multi-statement script (as pg-boss sends its migrations)', async () => {
    await db.executeSql("insert into items (id, note) values (10, 'a'); insert into items (id, note) values (11, 'b')");
    const { rows } = await db.query<{ n: number }>('select count(*)::int as n from items where id >= 10');
    expect(rows[0]!.n).toBe(2);
  });
});
