import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/db/index.js';
import { RateLimiter } from '../../src/lemur/rate-limit.js';
import { freshDb, type TestDb } from '../helpers/db.js';
import { STORAGE_MODES } from '../helpers/server.js';

describe.each(STORAGE_MODES)('the LLM rate limit (%s)', (storage) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await freshDb(storage);
  });
  afterAll(() => t?.drop());

  it('allows so many requests per project per window, then says when the window starts again', async () => {
    const limiter = new RateLimiter(2, 2000);
    expect(await limiter.take(t.db, 'p')).toEqual({ limit: 2, remaining: 1, resetSeconds: 2, allowed: true });
    expect(await limiter.take(t.db, 'p')).toMatchObject({ remaining: 0, allowed: true });
    const over = await limiter.take(t.db, 'p');
    expect(over).toMatchObject({ remaining: 0, allowed: false });
    expect(over.resetSeconds).toBeGreaterThanOrEqual(1);
    expect(over.resetSeconds).toBeLessThanOrEqual(2);
    expect((await limiter.take(t.db, 'other')).allowed).toBe(true);
    await new Promise((r) => setTimeout(r, 2100));
    expect(await limiter.take(t.db, 'p')).toMatchObject({ remaining: 1, allowed: true });
  });
});

describe('the LLM rate limit on a fleet', () => {
  let t: TestDb;
  let other: Db;
  beforeAll(async () => {
    t = await freshDb('postgres');
    other = await openDb({ databaseUrl: t.databaseUrl, dataDir: t.dataDir });
  });
  afterAll(async () => {
    await other?.close();
    await t?.drop();
  });

  it('allows the limit in all across two nodes, however the requests are spread and raced', async () => {
    const [a, b] = [new RateLimiter(5), new RateLimiter(5)];
    const states = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a.take(t.db, 'p') : b.take(other, 'p'))));
    expect(states.filter((s) => s.allowed)).toHaveLength(5);
    expect(states.filter((s) => s.remaining === 0)).toHaveLength(8);
  });
});
