import { describe, expect, it } from 'vitest';
import { acrossFleet } from '../../src/status/fleet.js';
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
