import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileBlobStore, type BlobStore } from '../../src/storage/blobs.js';
import { acrossFleet, nodeMarkerKey, nodesApart, storageAcrossFleet } from '../../src/status/fleet.js';
import type { NodeRow } from '../../src/status/store/nodes.js';

const now = Date.parse('2026-01-01T00:10:00Z');
const node = (name: string, observed: string, ageMs = 1000): NodeRow => ({
  instanceId: name,
  version: '0.1.0',
  hostname: name,
  baseUrl: `http://${name}:8976`,
  startedAt: new Date(0),
  lastSeen: new Date(now),
  checks: { streaming: { observed: observed as never, message: `${name} says ${observed}`, at: new Date(now - ageMs).toISOString() } },
});
const ok = { observed: 'operational' as const, latencyMs: 12, message: 'fine' };
const down = { observed: 'major_outage' as const, latencyMs: null, message: 'refused' };

describe('a component across the nodes of a fleet', () => {
  it('is what this node saw when every other node agrees, or none has checked lately', () => {
    expect(acrossFleet(ok, [node('b', 'operational')], 'streaming', 60_000, now)).toBe(ok);
    expect(acrossFleet(down, [node('b', 'major_outage', 120_000)], 'streaming', 60_000, now)).toBe(down);
    expect(acrossFleet(ok, [node('b', 'unknown')], 'streaming', 60_000, now)).toBe(ok);
  });

  it('is a partial outage naming the nodes where it fails on some only', () => {
    const r = acrossFleet(ok, [node('b', 'major_outage'), node('c', 'operational')], 'streaming', 60_000, now);
    expect(r.observed).toBe('partial_outage');
    expect(r.message).toBe('fails on 1 of 3 nodes (b http://b:8976: b says major_outage)');
    const mine = acrossFleet(down, [node('b', 'operational')], 'streaming', 60_000, now);
    expect(mine).toMatchObject({ observed: 'partial_outage', message: 'fails on 1 of 2 nodes (this node: refused)' });
  });

  it('is a major outage when it fails everywhere', () => {
    expect(acrossFleet(down, [node('b', 'major_outage')], 'streaming', 60_000, now).observed).toBe('major_outage');
  });
});

describe('storage across the nodes of a fleet', () => {
  const fine = { observed: 'operational' as const, latencyMs: 3, message: 'postgres round trip 3 ms' };

  it('is degraded, naming the fix, while live nodes keep uploads where this node cannot read them', () => {
    expect(storageAcrossFleet(fine, 2, 1)).toEqual({
      observed: 'degraded_performance',
      latencyMs: 3,
      message:
        'postgres round trip 3 ms; 2 live nodes share this database but not a disk: an upload is readable only on the node that took it (set EARSHOT_STORAGE_URL=s3://BUCKET on every node)',
    });
  });

  it('is what the probe saw when every node reads the same store, and when the database itself fails', () => {
    expect(storageAcrossFleet(fine, 1, 0)).toBe(fine);
    expect(storageAcrossFleet(fine, 3, 0)).toBe(fine);
    expect(storageAcrossFleet(down, 3, 2)).toBe(down);
  });

  it('counts the nodes whose marker this node cannot read: local disks apart, or one disk they all mount', async () => {
    const [mine, theirs] = [mkdtempSync(path.join(tmpdir(), 'earshot-a-')), mkdtempSync(path.join(tmpdir(), 'earshot-b-'))];
    try {
      const here = new FileBlobStore(mine);
      await here.put(nodeMarkerKey('a1'), [Buffer.from('a')]);
      await new FileBlobStore(theirs).put(nodeMarkerKey('b1'), [Buffer.from('b')]);
      // b1 wrote to its own disk; a2 runs on this disk (a shared volume) and wrote its marker here.
      await new FileBlobStore(mine).put(nodeMarkerKey('a2'), [Buffer.from('a')]);
      expect(await nodesApart(here, [{ instanceId: 'b1' }, { instanceId: 'a2' }])).toBe(1);
      expect(await nodesApart(here, [{ instanceId: 'a2' }])).toBe(0);
      expect(await nodesApart({ shared: true } as BlobStore, [{ instanceId: 'b1' }])).toBe(0);
    } finally {
      rmSync(mine, { recursive: true, force: true });
      rmSync(theirs, { recursive: true, force: true });
    }
  });
});
