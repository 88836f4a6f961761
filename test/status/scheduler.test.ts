import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { Scheduler } from '../../src/status/scheduler.js';
import { freshDb, type TestDb } from '../helpers/db.js';

const log = createLogger('silent');
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('status rounds: the first comes soon only when no node has run one lately', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await freshDb('pglite');
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('runs the first round after firstSeconds on a fresh database, then waits whole intervals', async () => {
    const rounds: number[] = [];
    const started = Date.now();
    const s = new Scheduler(t.db, log);
    s.every(
      'first',
      3600,
      0.2,
      async () => void rounds.push(Date.now() - started),
      async () => undefined,
    );
    await tick(1500);
    await s.stop();
    expect(rounds).toHaveLength(1);
  });

  it('waits a whole interval when another process ran a round within it (a restart)', async () => {
    const rounds: string[] = [];
    // One process's life: hourly rounds of "restart", the first 0.1 s in if none ran lately.
    const live = async (who: string) => {
      const s = new Scheduler(t.db, log);
      s.every(
        'restart',
        3600,
        0.1,
        async () => void rounds.push(who),
        async () => undefined,
      );
      await tick(800);
      await s.stop();
    };
    await live('a');
    await live('b');
    expect(rounds).toEqual(['a']);
  });
});
