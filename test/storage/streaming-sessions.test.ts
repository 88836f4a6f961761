import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  claimStreamingSession,
  heartbeatStreamingSessions,
  releaseInstanceStreamingSessions,
  releaseStreamingSession,
} from '../../src/storage/streaming-sessions.js';
import { freshDb, type TestDb } from '../helpers/db.js';
import { STORAGE_MODES } from '../helpers/server.js';

describe.each(STORAGE_MODES)('the fleet-wide streaming session count (%s)', (storage) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await freshDb(storage);
  });
  afterAll(() => t?.drop());

  const claim = (id: string, instanceId = 'node-a', max = 2) => claimStreamingSession(t.db, { id, instanceId, projectId: 'p', max });

  it('grants exactly max of many concurrent claims from two nodes', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `race-${i}`);
    const got = await Promise.all(ids.map((id, i) => claim(id, i % 2 ? 'node-a' : 'node-b', 3)));
    expect(got.filter(Boolean)).toHaveLength(3);
    const { rows } = await t.db.query<{ n: number }>("select count(*)::int as n from streaming_sessions where id like 'race-%'");
    expect(rows[0]!.n).toBe(3);
    await releaseInstanceStreamingSessions(t.db, 'node-a');
    await releaseInstanceStreamingSessions(t.db, 'node-b');
  });

  it('frees a slot when a session ends', async () => {
    expect(await claim('s1')).toBe(true);
    expect(await claim('s2', 'node-b')).toBe(true);
    expect(await claim('s3')).toBe(false);
    await releaseStreamingSession(t.db, 's1');
    expect(await claim('s3')).toBe(true);
    await releaseInstanceStreamingSessions(t.db, 'node-a');
    await releaseInstanceStreamingSessions(t.db, 'node-b');
  });

  it('stops counting the sessions of a node whose heartbeat stopped, and keeps those of a node that beats', async () => {
    expect(await claim('dead-1', 'dead')).toBe(true);
    expect(await claim('live-1', 'live')).toBe(true);
    // As if both rows were last renewed long ago; then only the live node beats.
    await t.db.query("update streaming_sessions set expires_at = now() - interval '1 second'");
    await heartbeatStreamingSessions(t.db, 'live');
    expect(await claim('new-1', 'live')).toBe(true);
    expect(await claim('new-2', 'live')).toBe(false);
    const { rows } = await t.db.query<{ id: string }>('select id from streaming_sessions order by id');
    expect(rows.map((r) => r.id)).toEqual(['live-1', 'new-1']);
    await releaseInstanceStreamingSessions(t.db, 'live');
  });
});
