import { afterEach, describe, expect, it, vi } from 'vitest';
import { DatabaseUnavailableError, type Db } from '../../src/db/index.js';
import { Authenticator } from '../../src/http/auth.js';
import { hashKey } from '../../src/storage/keys.js';

/** A database holding one key, which can be made unreachable or made to fail a statement. */
function keyDb(key: string, projectId: string) {
  const state = { mode: 'up' as 'up' | 'unreachable' | 'broken', revoked: false, lookups: 0 };
  const db = {
    async query(_sql: string, params?: unknown[]) {
      state.lookups++;
      if (state.mode === 'unreachable')
        throw new DatabaseUnavailableError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
      if (state.mode === 'broken') throw new Error('relation "api_keys" does not exist');
      return { rows: params?.[0] === hashKey(key) && !state.revoked ? [{ project_id: projectId }] : [] };
    },
  } as unknown as Db;
  return { db, state };
}

/** A key looked up once, then, past the cache's life, looked up again with the database unreachable. */
async function seenThenCut() {
  vi.useFakeTimers();
  const { db, state } = keyDb('k-known', 'p1');
  const auth = new Authenticator(db);
  expect(await auth.projectFor('k-known')).toBe('p1');
  vi.advanceTimersByTime(60_000);
  state.mode = 'unreachable';
  // The lookup is tried again and its failure answered from the last result.
  expect(await auth.projectFor('k-known')).toBe('p1');
  return { auth, state };
}

describe('Authenticator', () => {
  afterEach(() => vi.useRealTimers());

  it('keeps a key it has seen working while the database is unreachable, and only then', async () => {
    const { auth, state } = await seenThenCut();
    expect(state.lookups).toBe(2);
    // A key never seen cannot be vouched for: the outage surfaces (503), not a 401 or a guess.
    await expect(auth.projectFor('k-other')).rejects.toBeInstanceOf(DatabaseUnavailableError);
    // A statement that fails on a database that answers is a fault, never covered by the old answer.
    state.mode = 'broken';
    await expect(auth.projectFor('k-known')).rejects.toThrow(/does not exist/);
  });

  it('asks the database again once it is back: a key revoked meanwhile stops working', async () => {
    const { auth, state } = await seenThenCut();
    state.mode = 'up';
    state.revoked = true;
    vi.advanceTimersByTime(60_000);
    expect(await auth.projectFor('k-known')).toBeNull();
  });
});
