import { severity, type ProbeStatus } from './model.js';

export interface Streaks {
  status: ProbeStatus;
  /** Consecutive probes worse than `status`. */
  badStreak: number;
  /** Consecutive probes better than `status`. */
  goodStreak: number;
}

export interface Thresholds {
  failure: number;
  success: number;
}

/**
 * Weighs one probe against the component's status: a status only changes after `failure`
 * consecutive worse probes (or `success` consecutive better ones), so one slow or lost probe does
 * not open an incident and one lucky probe does not close it. The new status is the latest probe's.
 */
export function weigh(state: Streaks, observed: ProbeStatus, t: Thresholds): Streaks {
  const diff = severity(observed) - severity(state.status);
  if (diff === 0) return { status: state.status, badStreak: 0, goodStreak: 0 };
  if (diff > 0) {
    const badStreak = state.badStreak + 1;
    return badStreak >= t.failure ? { status: observed, badStreak: 0, goodStreak: 0 } : { status: state.status, badStreak, goodStreak: 0 };
  }
  const goodStreak = state.goodStreak + 1;
  return goodStreak >= t.success ? { status: observed, badStreak: 0, goodStreak: 0 } : { status: state.status, badStreak: 0, goodStreak };
}
