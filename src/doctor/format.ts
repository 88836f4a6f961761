import { bySeverity, type DoctorReport, type Finding, type Severity } from './finding.js';

const SYMBOL: Record<Severity, string> = { fail: '✗', warn: '!', info: 'i', pass: '✓', skip: '-' };
const COLOR: Record<Severity, string> = { fail: '31', warn: '33', info: '36', pass: '32', skip: '90' };

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : word.endsWith('s') ? 'es' : 's'}`;
}

/** The summary line: what the run found, at a glance. */
export function summaryLine(r: DoctorReport): string {
  const parts = [
    r.counts.fail && plural(r.counts.fail, 'failure'),
    r.counts.warn && plural(r.counts.warn, 'warning'),
    `${r.counts.pass} passed`,
    r.counts.skip && `${r.counts.skip} skipped`,
  ].filter(Boolean);
  const who = r.target.kind === 'assemblyai' ? 'AssemblyAI' : r.target.earshot ? 'Earshot' : 'self-hosted';
  const verdict = r.result === 'pass' ? 'All good' : r.result === 'warn' ? 'Works, with warnings' : 'Problems found';
  return `${SYMBOL[r.result]} ${verdict}: ${parts.join(', ')} — ${r.target.base_url} (${who}, ${(r.duration_ms / 1000).toFixed(1)} s)`;
}

/**
 * The report for a person: the summary line, then the findings that matter (failures, warnings,
 * advice), each with its fix. `verbose` adds the passes, skips and evidence.
 */
export function formatReport(r: DoctorReport, opts: { color?: boolean; verbose?: boolean } = {}): string {
  const paint = (sev: Severity, s: string) => (opts.color ? `\x1b[${COLOR[sev]}m${s}\x1b[0m` : s);
  const dim = (s: string) => (opts.color ? `\x1b[2m${s}\x1b[0m` : s);
  const shown = r.findings
    .filter((f) => opts.verbose || f.severity === 'fail' || f.severity === 'warn' || f.severity === 'info')
    .sort(bySeverity);
  const lines = [paint(r.result, summaryLine(r))];
  if (shown.length) lines.push('');
  for (const f of shown) {
    lines.push(`${paint(f.severity, SYMBOL[f.severity])} ${paint(f.severity, f.code)}  ${f.message}`);
    if (f.fix) lines.push(`    ${dim('fix:')} ${f.fix}`);
    if (opts.verbose && f.evidence) lines.push(`    ${dim(`evidence: ${JSON.stringify(f.evidence)}`)}`);
  }
  if (!opts.verbose && r.counts.pass > 0 && r.result !== 'pass')
    lines.push('', dim(`(${r.counts.pass} passing checks hidden; --verbose shows them)`));
  return `${lines.join('\n')}\n`;
}

/** One finding on one line, for logs. */
export function findingLine(f: Finding): string {
  return `${SYMBOL[f.severity]} ${f.code}: ${f.message}${f.fix ? ` Fix: ${f.fix}` : ''}`;
}
