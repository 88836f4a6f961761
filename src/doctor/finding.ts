/**
 * What every doctor check reports: findings with stable codes (`<check>.<name>`), one line of
 * what was found, one line of what to do, and the evidence behind it.
 */

export const CHECKS = ['request', 'reach', 'auth', 'audio', 'lifecycle', 'webhook', 'lemur', 'streaming'] as const;
export type CheckName = (typeof CHECKS)[number];

/** `info` is advice that is not a problem (does not change the exit code); `skip` says a check could not run. */
export type Severity = 'fail' | 'warn' | 'info' | 'pass' | 'skip';

export interface Finding {
  check: CheckName;
  /** Stable across releases: scripts and the console key on it. */
  code: string;
  severity: Severity;
  /** One line: what was found. */
  message: string;
  /** One line: what to do about it. Absent on a pass. */
  fix?: string;
  /** What was observed (statuses, timings, headers), for --json and --verbose. */
  evidence?: Record<string, unknown>;
}

export type Result = 'pass' | 'warn' | 'fail';

export interface DoctorReport {
  version: 1;
  target: {
    base_url: string;
    /** `assemblyai` for AssemblyAI's cloud hosts, else `self-hosted` (Earshot or another compatible server). */
    kind: TargetKind;
    /** The target serves `GET /v2/doctor` (an Earshot). */
    earshot: boolean | null;
  };
  /** `server`: run inside Earshot (GET /v2/doctor), so URL checks are the server's own view. */
  vantage: 'client' | 'server';
  started_at: string;
  duration_ms: number;
  result: Result;
  /** 0 pass, 1 warnings, 2 failures. */
  exit_code: 0 | 1 | 2;
  counts: Record<Severity, number>;
  checks: CheckName[];
  findings: Finding[];
}

export type TargetKind = 'assemblyai' | 'self-hosted';

/** Builders for one check's findings: `const f = findingsFor('auth'); f.fail('key_invalid', …)`. */
export function findingsFor(check: CheckName) {
  const make =
    (severity: Severity) =>
    (name: string, message: string, fix?: string, evidence?: Record<string, unknown>): Finding => ({
      check,
      code: `${check}.${name}`,
      severity,
      message,
      ...(fix !== undefined && { fix }),
      ...(evidence !== undefined && { evidence }),
    });
  return { fail: make('fail'), warn: make('warn'), info: make('info'), pass: make('pass'), skip: make('skip') };
}

const ORDER: Record<Severity, number> = { fail: 0, warn: 1, info: 2, pass: 3, skip: 4 };

export function bySeverity(a: Finding, b: Finding): number {
  return ORDER[a.severity] - ORDER[b.severity];
}

export function summarize(findings: Finding[]): { result: Result; exitCode: 0 | 1 | 2; counts: Record<Severity, number> } {
  const counts: Record<Severity, number> = { fail: 0, warn: 0, info: 0, pass: 0, skip: 0 };
  for (const f of findings) counts[f.severity]++;
  const result: Result = counts.fail > 0 ? 'fail' : counts.warn > 0 ? 'warn' : 'pass';
  return { result, exitCode: result === 'fail' ? 2 : result === 'warn' ? 1 : 0, counts };
}

const CLOUD_HOST = /(^|\.)assemblyai\.com$/i;

export function targetKind(url: URL): TargetKind {
  return CLOUD_HOST.test(url.hostname) ? 'assemblyai' : 'self-hosted';
}

/** Loopback by name or address: the target is on the machine the doctor runs on. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || /^127\./.test(h) || h === '::1' || h === '0.0.0.0' || h === '::';
}
