import { describe, expect, it } from 'vitest';
import type { Queryable } from '../../src/db/index.js';
import { createLogger } from '../../src/log.js';
import { WriteBuffer } from '../../src/status/write-buffer.js';

/** A database that can be switched off; `fail` makes one statement fail while it is up. */
function fakeDb() {
  const done: string[] = [];
  const state = { up: true };
  const db: Queryable = {
    async query(sql: string) {
      if (!state.up) throw new Error('connection refused');
      if (sql === 'fail') throw new Error('syntax error');
      if (sql !== 'select 1') done.push(sql);
      return { rows: [] };
    },
  };
  return { db, done, state };
}

describe('status write buffer', () => {
  it('keeps writes in order while the database is down, and replays them once it is back', async () => {
    const { db, done, state } = fakeDb();
    const buffer = new WriteBuffer(db, createLogger('silent'));
    await buffer.write('a', (d) => d.query('a').then(() => undefined));
    state.up = false;
    await buffer.write('b', (d) => d.query('b').then(() => undefined));
    await buffer.write('c', (d) => d.query('c').then(() => undefined));
    expect(buffer.size).toBe(2);
    state.up = true;
    await buffer.flush();
    expect(done).toEqual(['a', 'b', 'c']);
    expect(buffer.size).toBe(0);
  });

  it('drops a write that fails while the database answers, so it cannot block the rest', async () => {
    const { db, done } = fakeDb();
    const buffer = new WriteBuffer(db, createLogger('silent'));
    await buffer.write('bad', (d) => d.query('fail').then(() => undefined));
    await buffer.write('d', (d) => d.query('d').then(() => undefined));
    expect(done).toEqual(['d']);
    expect(buffer.size).toBe(0);
  });

  it('drops the oldest writes beyond its bound', async () => {
    const { db, done, state } = fakeDb();
    const buffer = new WriteBuffer(db, createLogger('silent'), 2);
    state.up = false;
    for (const x of ['1', '2', '3']) await buffer.write(x, (d) => d.query(x).then(() => undefined));
    state.up = true;
    await buffer.flush();
    expect(done).toEqual(['2', '3']);
  });
});
