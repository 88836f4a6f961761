import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Metric, Sizes } from './measures.js';

export interface BenchReport {
  generatedAt: string;
  quick: boolean;
  durationSeconds: number;
  machine: { cpus: number; cpuModel: string; memoryMB: number; platform: string; node: string };
  sizes: Sizes;
  allPass: boolean;
  results: Metric[];
}

export function machineInfo(): BenchReport['machine'] {
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryMB: Math.round(os.totalmem() / 1024 / 1024),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}

const OPS = { '<=': '≤', '>=': '≥', '<': '<' } as const;

function fmt(value: number, unit: string): string {
  if (unit === '×') return `${value.toFixed(2)}×`;
  if (unit === 'req/s') return `${Math.round(value).toLocaleString('en-US')} req/s`;
  if (unit === 'ms') return `${value.toFixed(1)} ms`;
  if (unit === 'MB') return `${value.toFixed(1)} MB`;
  return `${value} ${unit}`;
}

/** The distinct runs (date, CPU) the results come from. */
function runsOf(report: BenchReport): string[] {
  return [
    ...new Set(report.results.map((r) => (r.measured ? `${r.measured.at.slice(0, 16)} on ${r.measured.cpuModel}` : 'an earlier run'))),
  ];
}

export function resultsTable(metrics: Metric[]): string {
  const rows = metrics.map((m) => {
    const value = m.value === null ? 'failed' : fmt(m.value, m.unit);
    const target = `${OPS[m.op]} ${fmt(m.target, m.unit)}`;
    const when = m.measured ? m.measured.at.slice(0, 16).replace('T', ' ') : 'earlier';
    return `| ${m.name} | ${value} | ${target} | ${m.pass ? '✅ pass' : '❌ fail'} | ${when} |`;
  });
  return ['| Measurement | Value | Target | Result | Measured (UTC) |', '|---|---|---|---|---|', ...rows].join('\n');
}

function detailLines(value: unknown, indent = ''): string[] {
  if (value === null || typeof value !== 'object') return [`${indent}${JSON.stringify(value)}`];
  const lines: string[] = [];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      lines.push(`${indent}- ${k}:`);
      lines.push(...detailLines(v, `${indent}  `));
    } else {
      lines.push(`${indent}- ${k}: ${Array.isArray(v) ? v.join(', ') : String(v)}`);
    }
  }
  return lines;
}

export function markdown(report: BenchReport): string {
  const m = report.machine;
  const out = [
    `# Earshot benchmark${report.quick ? ' (quick smoke run: reduced sizes, not comparable to targets)' : ''}`,
    '',
    `Last run ${report.generatedAt} by \`npm run bench\`${report.quick ? ' -- --quick' : ''}, in ${Math.round(report.durationSeconds)} s, on ${m.cpus} CPU cores (${m.cpuModel}), ${m.memoryMB} MB RAM, ${m.platform}, Node ${m.node}. Engine: pocketsphinx; storage: embedded PGlite unless a row says otherwise.`,
    ...(runsOf(report).length > 1
      ? [
          '',
          `Results of several runs (\`--only\`) are merged here; each row says when and on which CPU it was measured: ${runsOf(report).join('; ')}.`,
        ]
      : []),
    '',
    resultsTable(report.results),
    '',
    '## How each number is measured',
    '',
    `- **Engine overhead**: what a user would run instead, as whole processes, alternating in one run (median of ${report.sizes.overheadRuns}, min–max in the details): Debian's \`pocketsphinx_continuous -infile FILE\` with Earshot's decoder flags (\`-topn 8\`), \`earshot transcribe FILE\` (spawn to exit: start-up, model load, ffmpeg decode, formatting), and a warm \`earshot serve\` (time from \`POST /v2/transcript\` to the poll, every 50 ms, that sees \`completed\`; \`EARSHOT_QUEUE_POLL_SECONDS=0.5\`), on a ${report.sizes.speechSeconds} s file of LibriVox speech. Each ratio is against \`pocketsphinx_continuous\`.`,
    `- **Concurrency**: with \`EARSHOT_CONCURRENCY=2\`, the same file submitted once vs. twice at the same time; throughput gain = 2 × (one-job time) / (two-jobs time), median of ${report.sizes.runs}, divided by the same gain for two \`pocketsphinx_continuous\` processes started together (no server): the most this machine allows.`,
    `- **Polling**: autocannon (${report.sizes.pollingConnections} connections, ${report.sizes.pollingDurationSeconds} s) on \`GET /v2/transcript/{id}\` with the authorization header while that transcript's ${report.sizes.pollingJobSeconds} s job is running. The server runs with its default configuration (log level \`info\`); a second run with \`EARSHOT_LOG_LEVEL=warn\` is in the details.`,
    `- **Peak RSS**: VmHWM of the server process (reset with \`/proc/PID/clear_refs\` at the start of the phase) and VmRSS sampled every 50 ms; worker threads are in the same process. Upload: a ${Math.round(report.sizes.uploadBytes / 1024 / 1024)} MiB WAV streamed from disk to \`POST /v2/upload\`. Transcription: a ${report.sizes.longSeconds} s speech file, in a fresh server.`,
    "- **Fleet**: 1, then 2, then 3 `earshot serve` nodes on one PostgreSQL database and one S3 store (s3rver), `EARSHOT_CONCURRENCY=1` each, no status probes, engines warmed on every node; a batch of jobs (6 of 10 s with --quick, else 12 of 30 s) created round-robin on the nodes and polled on another. Throughput = jobs per minute against one node; p95 = the batch's 95th-percentile time from POST to completed, against one node. The nodes share this machine's cores.",
    '',
    'Timed runs wait (up to 60 s) for the machine to be otherwise idle first; `busyCores` in the details is how many cores the whole machine kept busy during each run, so runs disturbed by other processes can be spotted.',
    '',
    '## Details',
    '',
  ];
  for (const r of report.results) {
    out.push(`### ${r.name}`, '');
    if (r.error) out.push('```', r.error, '```', '');
    out.push(...detailLines(r.details), '');
  }
  return out.join('\n');
}

/**
 * Writes results.{json,md} (results.quick.* for --quick). With `merge` (an `--only` run) the
 * metrics measured now replace theirs in the existing file and the others are kept.
 */
export function writeReport(dir: string, report: BenchReport, merge = false): { json: string; md: string } {
  mkdirSync(dir, { recursive: true });
  const base = report.quick ? 'results.quick' : 'results';
  const json = path.join(dir, `${base}.json`);
  const md = path.join(dir, `${base}.md`);
  const measured = { at: report.generatedAt, cpuModel: report.machine.cpuModel };
  report = { ...report, results: report.results.map((r) => ({ ...r, measured })) };
  if (merge && existsSync(json)) {
    const old = JSON.parse(readFileSync(json, 'utf8')) as BenchReport;
    const fresh = new Map(report.results.map((r) => [r.id, r]));
    const merged = old.results.map((r) => fresh.get(r.id) ?? r);
    for (const r of report.results) if (!old.results.some((o) => o.id === r.id)) merged.push(r);
    report = {
      ...report,
      results: merged,
      allPass: merged.every((r) => r.pass),
    };
  }
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(md, markdown(report));
  return { json, md };
}
