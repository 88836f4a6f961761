import { describe, expect, it } from 'vitest';
import { findingsFor, summarize, type DoctorReport, type Finding } from '../../src/doctor/finding.js';
import { formatReport, summaryLine } from '../../src/doctor/format.js';

const f = findingsFor('auth');

function report(findings: Finding[]): DoctorReport {
  const s = summarize(findings);
  return {
    version: 1,
    target: { base_url: 'http://127.0.0.1:8976', kind: 'self-hosted', earshot: true },
    vantage: 'client',
    started_at: '2025-01-01T00:00:00.000Z',
    duration_ms: 1234,
    result: s.result,
    exit_code: s.exitCode,
    counts: s.counts,
    checks: ['auth'],
    findings,
  };
}

describe('report', () => {
  it('exit codes: 0 pass (info and skips included), 1 warnings, 2 failures', () => {
    expect(summarize([f.pass('ok', 'fine'), f.info('tip', 'a tip', 'do this'), f.skip('not_run', 'no')]).exitCode).toBe(0);
    expect(summarize([f.pass('ok', 'fine'), f.warn('w', 'hmm', 'fix')]).exitCode).toBe(1);
    expect(summarize([f.warn('w', 'hmm', 'fix'), f.fail('x', 'bad', 'fix')]).exitCode).toBe(2);
  });

  it('codes are <check>.<name>', () => {
    expect(f.fail('key_invalid', 'm', 'x')).toEqual({ check: 'auth', code: 'auth.key_invalid', severity: 'fail', message: 'm', fix: 'x' });
  });

  it('a person sees the summary line, then only what matters, worst first, each with its fix', () => {
    const r = report([
      f.pass('ok', 'The key works.'),
      f.warn('bearer_prefix', 'Bearer is not upstream.', 'Drop it.'),
      f.fail('wrong_header', 'Wrong header.', 'Use Authorization.', { as_sent: 401 }),
    ]);
    const text = formatReport(r);
    expect(text).toBe(
      [
        '✗ Problems found: 1 failure, 1 warning, 1 passed — http://127.0.0.1:8976 (Earshot, 1.2 s)',
        '',
        '✗ auth.wrong_header  Wrong header.',
        '    fix: Use Authorization.',
        '! auth.bearer_prefix  Bearer is not upstream.',
        '    fix: Drop it.',
        '',
        '(1 passing checks hidden; --verbose shows them)',
        '',
      ].join('\n'),
    );
    const verbose = formatReport(r, { verbose: true });
    expect(verbose).toContain('✓ auth.ok  The key works.');
    expect(verbose).toContain('evidence: {"as_sent":401}');
    expect(formatReport(r, { color: true })).toContain('\x1b[31m✗\x1b[0m');
  });

  it('a clean run is one line', () => {
    expect(formatReport(report([f.pass('ok', 'The key works.')]))).toBe('✓ All good: 1 passed — http://127.0.0.1:8976 (Earshot, 1.2 s)\n');
    expect(summaryLine(report([f.warn('w', 'x', 'y')]))).toMatch(/^! Works, with warnings: 1 warning, 0 passed/);
  });
});
