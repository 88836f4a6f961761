import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseUnavailableError, type Db } from '../../src/db/index.js';
import { pino } from 'pino';
import { StreamingHub } from '../../src/streaming/hub.js';
import { freshDb, type TestDb } from '../helpers/db.js';

/** The test database, which can be made to fail as an unreachable one does. */
function cuttable(db: Db) {
  const state = { down: false };
  const lost = () => new DatabaseUnavailableError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
  const guarded: Db = {
    ...db,
    query: (sql, params) => (state.down ? Promise.reject(lost()) : db.query(sql, params)),
    transaction: (fn) => (state.down ? Promise.reject(lost()) : db.transaction(fn)),
  };
  return { db: guarded, state };
}

describe('StreamingHub: the fleet-wide session count while the database is away', () => {
  let t: TestDb;
  let hub: StreamingHub;
  let state: { down: boolean };

  beforeAll(async () => {
    t = await freshDb('postgres');
    const c = cuttable(t.db);
    state = c.state;
    hub = new StreamingHub(1, { dataDir: t.dataDir, vadModel: null }, c.db, pino({ level: 'silent' }));
  });
  afterAll(async () => {
    await hub?.close();
    await t?.drop();
  });

  const rows = async () => (await t.db.query<{ id: string }>('select id from streaming_sessions order by id')).rows.map((r) => r.id);

  it('admits sessions up to the limit on its own count, then refuses with the outage', async () => {
    expect(await hub.claim('s1', 'p', 2)).toBe(true);
    state.down = true;
    expect(await hub.claim('s2', 'p', 2)).toBe(true);
    await expect(hub.claim('s3', 'p', 2)).rejects.toBeInstanceOf(DatabaseUnavailableError);
    expect([...hub.active].sort()).toEqual(['s1', 's2']);
  });

  it('records the sessions it admitted meanwhile at the first beat after the database is back', async () => {
    expect(await rows()).toEqual(['s1']);
    state.down = false;
    await (hub as unknown as { beat(): Promise<void> }).beat();
    expect(await rows()).toEqual(['s1', 's2']);
    // With the fleet's count back, the limit holds again.
    expect(await hub.claim('s3', 'p', 2)).toBe(false);
    hub.release('s2');
    await new Promise((r) => setTimeout(r, 200));
    expect(await rows()).toEqual(['s1']);
  });
});
