/**
 * `npm run bench [-- --quick] [-- --only overhead,polling]`: measures Earshot against its
 * performance targets, prints a Markdown table and writes bench/results.{json,md}
 * (bench/results.quick.* for --quick, which uses smaller sizes and only smoke-tests the bench).
 * With --only, the measurements run replace theirs in the existing results file.
 *
 * Every server is a real `earshot serve` child process with its own temp data dir; all of them,
 * and the temp audio files, are removed however the run ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FULL, MEASUREMENTS, QUICK, failed, type BenchContext, type Metric } from './measures.js';
import { consoleRender, llm, statusPage, streaming } from './features.js';
import { streamingMemory } from './streaming-memory.js';
import { growthAudio, growthRows } from './growth.js';
import { diarization } from './diarization.js';
import { fleet } from './fleet.js';
import { pii } from './pii.js';
import { sherpaOverhead } from './sherpa.js';
import { machineInfo, resultsTable, writeReport, type BenchReport } from './report.js';
import { REPO, snapshotApp } from './server.js';
import { Cleanup } from './util.js';

const KEYS: Record<string, string> = {
  overhead: 'engine overhead',
  concurrency: 'concurrency',
  polling: 'polling',
  rss: 'peak RSS',
  rsspg: 'peak RSS postgres',
  rsss3: 'peak RSS s3',
  streaming: 'streaming',
  streammem: 'streaming memory',
  growthaudio: 'growth audio',
  growthrows: 'growth rows',
  console: 'console',
  llm: 'llm',
  status: 'status',
  diarization: 'diarization',
  pii: 'pii',
  fleet: 'fleet',
  sherpa: 'sherpa overhead',
};

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      out: { type: 'string', default: path.join(REPO, 'bench') },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`Usage: node dist-bench/bench/index.js [--quick] [--only ${Object.keys(KEYS).join(',')}] [--out DIR]\n`);
    return 0;
  }
  const only = values.only?.split(',').map((s) => {
    const name = KEYS[s.trim()];
    if (!name) throw new Error(`unknown measurement "${s}": use ${Object.keys(KEYS).join(', ')}`);
    return name;
  });
  const selected = [
    ...MEASUREMENTS,
    sherpaOverhead,
    streaming,
    streamingMemory,
    growthRows,
    growthAudio,
    llm,
    statusPage,
    consoleRender,
    diarization,
    pii,
    fleet,
  ].filter((m) => !only || only.includes(m.name));

  const cleanup = new Cleanup();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'earshot-bench-'));
  cleanup.add(
    () => rmSync(tmp, { recursive: true, force: true }),
    () => rmSync(tmp, { recursive: true, force: true }),
  );
  process.on('exit', () => cleanup.runSync());
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\n${sig}: cleaning up\n`);
      void cleanup.runAll().finally(() => process.exit(130));
    });
  }

  const sizes = values.quick ? QUICK : FULL;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const bin = snapshotApp(tmp);
  const ctx: BenchContext = { tmp, bin, sizes, cleanup, log };
  const started = Date.now();
  const results: Metric[] = [];
  try {
    for (const m of selected) {
      log(`▶ ${m.name}`);
      const t0 = Date.now();
      try {
        results.push(...(await m.run(ctx)));
      } catch (err) {
        log(`  failed: ${(err as Error).stack ?? String(err)}`);
        results.push(...m.metrics.map((spec) => failed(spec, err)));
      }
      log(`  (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
  } finally {
    await cleanup.runAll();
  }

  const report: BenchReport = {
    generatedAt: new Date().toISOString(),
    quick: values.quick,
    durationSeconds: (Date.now() - started) / 1000,
    machine: machineInfo(),
    sizes,
    allPass: results.every((r) => r.pass),
    results,
  };
  process.stdout.write(`\n${resultsTable(results)}\n\n`);
  const files = writeReport(values.out, report, only !== undefined);
  log(`wrote ${path.relative(process.cwd(), files.json)} and ${path.relative(process.cwd(), files.md)}`);
  // Missed targets are results; only a measurement that could not run fails the command.
  return results.some((r) => r.error) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
