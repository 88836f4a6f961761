import { describe, expect, it } from 'vitest';
import { weigh, type Streaks } from '../../src/status/hysteresis.js';
import type { ProbeStatus } from '../../src/status/model.js';

const run = (start: ProbeStatus, seen: ProbeStatus[], failure: number, success: number) => {
  let s: Streaks = { status: start, badStreak: 0, goodStreak: 0 };
  return seen.map((o) => (s = weigh(s, o, { failure, success })).status);
};

describe('hysteresis', () => {
  it('changes a status only after the threshold of consecutive worse probes', () => {
    expect(run('operational', ['major_outage', 'major_outage', 'major_outage'], 3, 1)).toEqual([
      'operational',
      'operational',
      'major_outage',
    ]);
  });

  it('starts over when a probe in between agrees with the status', () => {
    expect(run('operational', ['major_outage', 'operational', 'major_outage', 'major_outage'], 2, 1)).toEqual([
      'operational',
      'operational',
      'operational',
      'major_outage',
    ]);
  });

  it('counts any worse probe toward the failure streak, and takes the latest', () => {
    expect(run('operational', ['degraded_performance', 'partial_outage'], 2, 1)).toEqual(['operational', 'partial_outage']);
  });

  it('needs the success threshold of better probes to recover', () => {
    expect(run('major_outage', ['operational', 'major_outage', 'operational', 'operational', 'operational'], 1, 3)).toEqual([
      'major_outage',
      'major_outage',
      'major_outage',
      'major_outage',
      'operational',
    ]);
  });

  it('with thresholds of 1 follows every probe', () => {
    expect(run('operational', ['partial_outage', 'degraded_performance', 'operational'], 1, 1)).toEqual([
      'partial_outage',
      'degraded_performance',
      'operational',
    ]);
  });
});
