import { createScratchDatabase } from '../src/db/scratch.js';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { statSync } from 'node:fs';
import autocannon, { type Result as CannonResult } from 'autocannon';
import { BATCH_ARGS } from '../src/engines/pocketsphinx.js';
import { bigWav, speechFile, warmupClip } from './audio.js';
import { startScratchS3 } from './s3.js';
import {
  createTranscript,
  getTranscript,
  launchServer,
  pollTranscript,
  timeTranscript,
  transcriptTimeline,
  uploadFile,
  type BenchServer,
} from './server.js';
import { BusyMeter, type Cleanup, RssSampler, mb, median, procCpuMs, procMemory, resetPeakRss, round, waitForQuiet } from './util.js';

export interface Sizes {
  /** Length of the speech file for the overhead and concurrency runs. */
  speechSeconds: number;
  /** Repetitions; the median is reported. */
  runs: number;
  /** Rounds of the whole-process comparison (each runs every contender once, alternating). */
  overheadRuns: number;
  /** Length of the job that runs while polling is hammered. */
  pollingJobSeconds: number;
  pollingDurationSeconds: number;
  pollingConnections: number;
  uploadBytes: number;
  /** Length of the file transcribed for the RSS measurement. */
  longSeconds: number;
}

export const FULL: Sizes = {
  speechSeconds: 60,
  runs: 3,
  overheadRuns: 5,
  pollingJobSeconds: 600,
  pollingDurationSeconds: 10,
  pollingConnections: 50,
  uploadBytes: 1024 ** 3,
  longSeconds: 1200,
};

export const QUICK: Sizes = {
  speechSeconds: 15,
  runs: 1,
  overheadRuns: 1,
  pollingJobSeconds: 300,
  pollingDurationSeconds: 3,
  pollingConnections: 50,
  uploadBytes: 100 * 1024 ** 2,
  longSeconds: 60,
};

export interface BenchContext {
  tmp: string;
  /** The `earshot` entry point servers are started from. */
  bin: string;
  sizes: Sizes;
  cleanup: Cleanup;
  log: (line: string) => void;
}

export interface MetricSpec {
  id: string;
  name: string;
  unit: string;
  op: '<=' | '>=' | '<';
  target: number;
}

export interface Metric extends MetricSpec {
  value: number | null;
  pass: boolean;
  details: Record<string, unknown>;
  error?: string;
  /** When and on what this result was measured (results of several `--only` runs are merged into one file). */
  measured?: { at: string; cpuModel: string };
}

export function metric(spec: MetricSpec, value: number, details: Record<string, unknown> = {}): Metric {
  const pass = spec.op === '<=' ? value <= spec.target : spec.op === '>=' ? value >= spec.target : value < spec.target;
  return { ...spec, value, pass, details };
}

export function failed(spec: MetricSpec, err: unknown): Metric {
  return { ...spec, value: null, pass: false, details: {}, error: (err as Error).stack ?? String(err) };
}

export interface Measurement {
  name: string;
  metrics: MetricSpec[];
  run: (b: BenchContext) => Promise<Metric[]>;
}

/** Runs `fn` against a fresh server, destroying it (kill -9, data dir removed) however `fn` ends. */
export async function withServer<T>(
  b: BenchContext,
  name: string,
  env: Record<string, string>,
  fn: (s: BenchServer) => Promise<T>,
): Promise<T> {
  const server = await launchServer({ bin: b.bin, tmp: b.tmp, name, env, cleanup: b.cleanup });
  try {
    return await fn(server);
  } finally {
    await server.destroy();
  }
}

/** A new database on the PostgreSQL server at EARSHOT_BENCH_POSTGRES_URL, dropped at cleanup. */
export async function scratchDatabase(b: BenchContext): Promise<string> {
  const db = await createScratchDatabase(
    process.env.EARSHOT_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    'earshot_bench',
  );
  b.cleanup.add(db.drop);
  return db.url;
}

// ─── 1. engine overhead ────────────────────────────────────────────────────────────────────────

const SERVER_OVERHEAD: MetricSpec = {
  id: 'engine_overhead',
  name: 'Warm server, POST to completed / pocketsphinx_continuous (whole processes)',
  unit: '×',
  op: '<=',
  target: 1.05,
};
const CLI_OVERHEAD: MetricSpec = {
  id: 'cli_overhead',
  name: '`earshot transcribe` / pocketsphinx_continuous (whole processes)',
  unit: '×',
  op: '<=',
  target: 1.1,
};

export interface ProcessRun {
  ms: number;
  peakRss: number;
}

/** A whole process, timed from spawn to exit, with its peak RSS (its own and its children's, sampled every 20 ms). */
export function timedProcess(bin: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(bin, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    const sampler = new RssSampler(child.pid!, 20).start();
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = performance.now() - t0;
      sampler.stop();
      if (code === 0) resolve({ ms, peakRss: sampler.peakWithChildren });
      else reject(new Error(`${bin} ${args.join(' ')} exited ${code}: ${stderr.slice(-500)}`));
    });
  });
}

/** `pocketsphinx_continuous` on a file with the flags Earshot's engine uses. */
const psArgs = (file: string) => ['-infile', file, '-logfn', '/dev/null', ...Object.entries(BATCH_ARGS).flat()];

export const spread = (xs: number[]) => ({ median: round(median(xs), 0), min: round(Math.min(...xs), 0), max: round(Math.max(...xs), 0) });

/**
 * What a user would run instead, as whole processes, alternating in one run: Debian's
 * `pocketsphinx_continuous` with the flags Earshot's engine uses (the same decoder doing the same work:
 * test/engines/pocketsphinx.test.ts checks the words match), `earshot transcribe` (decoding with ffmpeg,
 * formatting), and a warm server from POST to the poll that sees the transcript completed.
 */
export const engineOverhead: Measurement = {
  name: 'engine overhead',
  metrics: [SERVER_OVERHEAD, CLI_OVERHEAD],
  async run(b) {
    const { overheadRuns: runs, speechSeconds } = b.sizes;
    const file = await speechFile(b.tmp, speechSeconds);
    const cliEnv = { ...process.env, EARSHOT_DATA_DIR: path.join(b.tmp, 'cli-data'), EARSHOT_LOG_LEVEL: 'warn' };
    return withServer(b, 'overhead', {}, async (s) => {
      // The first job of a server also starts its worker thread and loads the model: measured apart.
      const cold = await timeTranscript(s, await uploadFile(s, warmupClip()));
      const url = await uploadFile(s, file);
      const ps: ProcessRun[] = [];
      const cli: ProcessRun[] = [];
      const e2e: Awaited<ReturnType<typeof timeTranscript>>[] = [];
      for (let i = 0; i < runs; i++) {
        await waitForQuiet(b.log);
        ps.push(await timedProcess('pocketsphinx_continuous', psArgs(file)));
        await waitForQuiet(b.log);
        cli.push(await timedProcess(process.execPath, [b.bin, 'transcribe', file], cliEnv));
        await waitForQuiet(b.log);
        e2e.push(await timeTranscript(s, url));
        b.log(
          `  run ${i + 1}/${runs}: pocketsphinx_continuous ${Math.round(ps.at(-1)!.ms)} ms, earshot transcribe ${Math.round(cli.at(-1)!.ms)} ms, server ${Math.round(e2e.at(-1)!.ms)} ms`,
        );
      }
      const psMs = median(ps.map((r) => r.ms));
      const logs = s.logs();
      const timelines = e2e.map((r) => transcriptTimeline(logs, r.id, r.postedAt, r.completedAt)).filter((t) => t !== null);
      const med = (k: keyof (typeof timelines)[number]) => (timelines.length ? round(median(timelines.map((t) => t[k])), 0) : null);
      const details = {
        audioSeconds: speechSeconds,
        runs,
        pocketsphinxContinuousMs: spread(ps.map((r) => r.ms)),
        earshotTranscribeMs: spread(cli.map((r) => r.ms)),
        serverEndToEndMs: spread(e2e.map((r) => r.ms)),
        pocketsphinxContinuousPeakRssMB: mb(Math.max(...ps.map((r) => r.peakRss))),
        earshotTranscribePeakRssMB: mb(Math.max(...cli.map((r) => r.peakRss))),
        pocketsphinxFlags: BATCH_ARGS,
        words: e2e[0]?.words,
        /** The server's first job (the short warm-up clip): includes starting the worker thread and loading the model. */
        coldWarmupJobMs: round(cold.ms, 0),
        serverBreakdownMedianMs: {
          post: med('postMs'),
          queueWait: med('queueWaitMs'),
          processing: med('processingMs'),
          observe: med('observeMs'),
        },
        clientPollMs: 50,
        queuePollSeconds: 0.5,
      };
      return [
        metric(SERVER_OVERHEAD, round(median(e2e.map((r) => r.ms)) / psMs, 3), details),
        metric(CLI_OVERHEAD, round(median(cli.map((r) => r.ms)) / psMs, 3), details),
      ];
    });
  },
};

// ─── 2. concurrency ─────────────────────────────────────────────────────────────────────────────

const CONCURRENCY: MetricSpec = {
  id: 'concurrency_throughput',
  name: 'Throughput gain of 2 jobs at once (concurrency 2) / that of 2 pocketsphinx_continuous at once',
  unit: '×',
  op: '>=',
  target: 0.95,
};

/** pocketsphinx_continuous with Earshot's flags, as a user would run it: one process per engine. */
async function bareProcess(file: string): Promise<number> {
  return (await timedProcess('pocketsphinx_continuous', psArgs(file))).ms;
}

/** The machine's own ceiling: two bare engines in two processes vs one, no server involved. */
async function bareCeiling(b: BenchContext, file: string) {
  const one: number[] = [];
  const two: number[] = [];
  for (let i = 0; i < b.sizes.runs; i++) {
    await waitForQuiet(b.log);
    one.push(await bareProcess(file));
    await waitForQuiet(b.log);
    // Both start together; the slower one ends the pair.
    two.push(Math.max(...(await Promise.all([bareProcess(file), bareProcess(file)]))));
  }
  const ratio = round((2 * median(one)) / median(two), 3);
  b.log(`  bare engines, no server: one ${Math.round(median(one))} ms, two at once ${Math.round(median(two))} ms → ${ratio}×`);
  return { throughputRatio: ratio, oneMedianMs: round(median(one), 0), twoMedianMs: round(median(two), 0) };
}

export const concurrency: Measurement = {
  name: 'concurrency',
  metrics: [CONCURRENCY],
  async run(b) {
    const { runs, speechSeconds } = b.sizes;
    const file = await speechFile(b.tmp, speechSeconds);
    const ceiling = await bareCeiling(b, file);
    return withServer(b, 'concurrency', { EARSHOT_CONCURRENCY: '2' }, async (s) => {
      // Start both worker threads first, so neither side pays for a model load.
      const warm = await uploadFile(s, warmupClip());
      await Promise.all([timeTranscript(s, warm), timeTranscript(s, warm)]);
      const url = await uploadFile(s, file);
      const single: number[] = [];
      const pair: number[] = [];
      const overlaps: number[] = [];
      const busy: Array<{ one: number; two: number }> = [];
      for (let i = 0; i < runs; i++) {
        await waitForQuiet(b.log);
        let meter = new BusyMeter();
        single.push((await timeTranscript(s, url)).ms);
        const one = meter.stop();
        await waitForQuiet(b.log);
        meter = new BusyMeter();
        const t0 = performance.now();
        const both = await Promise.all([timeTranscript(s, url), timeTranscript(s, url)]);
        pair.push(performance.now() - t0);
        busy.push({ one, two: meter.stop() });
        b.log(`  run ${i + 1}/${runs}: one job ${Math.round(single.at(-1)!)} ms, two jobs ${Math.round(pair.at(-1)!)} ms`);
        // How long the two jobs actually ran side by side (from the server's log).
        const logs = s.logs();
        const span = both.map((r) => {
          const started = logs.find((l) => l.transcript === r.id && l.msg === 'transcription started')?.time ?? NaN;
          const finished = logs.find((l) => l.transcript === r.id && l.msg === 'transcription finished')?.time ?? NaN;
          return [started, finished] as const;
        });
        overlaps.push(Math.max(0, Math.min(span[0]![1], span[1]![1]) - Math.max(span[0]![0], span[1]![0])));
      }
      const singleMs = median(single);
      const pairMs = median(pair);
      return [
        metric(CONCURRENCY, round((2 * singleMs) / pairMs / ceiling.throughputRatio, 3), {
          serverThroughputRatio: round((2 * singleMs) / pairMs, 3),
          audioSeconds: speechSeconds,
          runs,
          cpuCores: os.availableParallelism(),
          oneJobMedianMs: round(singleMs, 0),
          twoJobsMedianMs: round(pairMs, 0),
          oneJobRunsMs: single.map((x) => round(x, 0)),
          twoJobsRunsMs: pair.map((x) => round(x, 0)),
          jobsOverlapMs: overlaps.map((x) => round(x, 0)),
          busyCoresOneJob: busy.map((x) => x.one),
          busyCoresTwoJobs: busy.map((x) => x.two),
          bareEnginesNoServer: ceiling,
        }),
      ];
    });
  },
};

// ─── 3. polling ─────────────────────────────────────────────────────────────────────────────────

const POLL_RPS: MetricSpec = {
  id: 'polling_rps',
  name: 'GET /v2/transcript/{id} throughput during a job',
  unit: 'req/s',
  op: '>=',
  target: 5000,
};
const POLL_P99: MetricSpec = {
  id: 'polling_p99',
  name: 'GET /v2/transcript/{id} p99 latency during a job',
  unit: 'ms',
  op: '<',
  target: 25,
};

interface PollRun {
  logLevel: string;
  requestsPerSecond: number;
  p50Ms: number;
  p97_5Ms: number;
  p99Ms: number;
  maxMs: number;
  totalRequests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  jobStatusAfter: string;
  /** Cores busy machine-wide during the run (job + server + autocannon + anything else). */
  busyCores: number;
  /** Cores the server process (main thread + job's worker thread) used during the run. */
  serverCores: number;
}

async function pollRun(b: BenchContext, file: string, logLevel: string | null): Promise<PollRun> {
  const env: Record<string, string> = logLevel ? { EARSHOT_LOG_LEVEL: logLevel } : {};
  return withServer(b, `polling-${logLevel ?? 'default'}`, env, async (s) => {
    const created = await createTranscript(s, await uploadFile(s, file));
    await pollTranscript(s, created.id, { everyMs: 100, timeoutMs: 60_000, until: (t) => t.status === 'processing' });
    const { pollingConnections: connections, pollingDurationSeconds: duration } = b.sizes;
    // The job itself keeps one core busy; wait for anything else to stop.
    await waitForQuiet(b.log, 1.35, 30_000);
    const meter = new BusyMeter();
    const serverCpu0 = procCpuMs(s.pid) ?? NaN;
    const r: CannonResult = await autocannon({
      url: `${s.url}/v2/transcript/${created.id}`,
      connections,
      duration,
      headers: { authorization: s.key },
    });
    const busyCores = meter.stop();
    const serverCores = round(((procCpuMs(s.pid) ?? NaN) - serverCpu0) / (duration * 1000), 2);
    const after = await getTranscript(s, created.id);
    return {
      busyCores,
      serverCores,
      logLevel: logLevel ?? 'info (default)',
      requestsPerSecond: round(r.requests.average, 0),
      p50Ms: r.latency.p50,
      p97_5Ms: r.latency.p97_5,
      p99Ms: r.latency.p99,
      maxMs: r.latency.max,
      totalRequests: r.requests.total,
      non2xx: r.non2xx,
      errors: r.errors,
      timeouts: r.timeouts,
      jobStatusAfter: after.status,
    };
  });
}

export const polling: Measurement = {
  name: 'polling',
  metrics: [POLL_RPS, POLL_P99],
  async run(b) {
    const file = await speechFile(b.tmp, b.sizes.pollingJobSeconds);
    // As shipped (log level info: Fastify logs every request), then with request logging off.
    const shipped = await pollRun(b, file, null);
    b.log(`  log level info (default): ${shipped.requestsPerSecond} req/s, p99 ${shipped.p99Ms} ms`);
    const quiet = await pollRun(b, file, 'warn');
    b.log(`  log level warn: ${quiet.requestsPerSecond} req/s, p99 ${quiet.p99Ms} ms`);
    const details = {
      connections: b.sizes.pollingConnections,
      durationSeconds: b.sizes.pollingDurationSeconds,
      jobAudioSeconds: b.sizes.pollingJobSeconds,
      cpuCores: os.availableParallelism(),
      note: 'autocannon runs in the bench process on the same machine; one core is busy with the running job',
      shipped,
      logLevelWarn: quiet,
    };
    if (shipped.jobStatusAfter !== 'processing')
      throw new Error(`the job ended (${shipped.jobStatusAfter}) before the load test did; use a longer job`);
    if (shipped.non2xx || shipped.errors) throw new Error(`polling got ${shipped.non2xx} non-2xx answers and ${shipped.errors} errors`);
    return [metric(POLL_RPS, shipped.requestsPerSecond, details), metric(POLL_P99, shipped.p99Ms, details)];
  },
};

// ─── 4. peak RSS ────────────────────────────────────────────────────────────────────────────────

const RSS_UPLOAD: MetricSpec = { id: 'rss_upload', name: 'Server peak RSS while uploading a large file', unit: 'MB', op: '<', target: 300 };
const RSS_TRANSCRIBE: MetricSpec = {
  id: 'rss_transcribe',
  name: 'Server peak RSS while transcribing a long file',
  unit: 'MB',
  op: '<',
  target: 300,
};

/** Peak RSS of the server over `fn`: VmHWM (reset first when the kernel allows it) and 50 ms samples. */
export async function peakDuring<T>(s: BenchServer, fn: () => Promise<T>) {
  const baseline = procMemory(s.pid)!;
  const hwmReset = resetPeakRss(s.pid);
  const sampler = new RssSampler(s.pid, 50).start();
  let result: T;
  try {
    result = await fn();
  } finally {
    sampler.stop();
  }
  const end = procMemory(s.pid)!;
  return {
    result,
    peakBytes: Math.max(end.hwm, sampler.peakRss),
    info: {
      baselineRssMB: mb(baseline.rss),
      vmHwmMB: mb(end.hwm),
      vmHwmCovers: hwmReset ? 'this phase only (reset via clear_refs)' : 'the whole process life (reset not permitted)',
      sampledPeakRssMB: mb(sampler.peakRss),
      sampledPeakWithChildrenMB: mb(sampler.peakWithChildren),
      endRssMB: mb(end.rss),
      samples: sampler.samples,
    },
  };
}

const RSS_SUFFIX = { pglite: ' (embedded PGlite)', postgres: ' (PostgreSQL storage)', s3: ' (PostgreSQL, S3 blob storage)' };
const RSS_NAME = { pglite: 'peak RSS', postgres: 'peak RSS postgres', s3: 'peak RSS s3' };

/**
 * Peak RSS on one storage mode. The embedded database (PGlite: PostgreSQL compiled to WebAssembly)
 * is itself about 280 MB of the process, so the same phases also run against a PostgreSQL server,
 * and with uploads in an S3-compatible store (s3rver in the bench process) instead of the disk.
 */
function peakRssOn(storage: 'pglite' | 'postgres' | 's3'): Measurement {
  const suffix = RSS_SUFFIX[storage];
  const upload: MetricSpec = { ...RSS_UPLOAD, id: `${RSS_UPLOAD.id}_${storage}`, name: RSS_UPLOAD.name + suffix };
  const transcribe: MetricSpec = { ...RSS_TRANSCRIBE, id: `${RSS_TRANSCRIBE.id}_${storage}`, name: RSS_TRANSCRIBE.name + suffix };
  return {
    name: RSS_NAME[storage],
    metrics: [upload, transcribe],
    async run(b) {
      const out: Metric[] = [];
      // A fresh database, dropped with the bench's other temporary things.
      const env: Record<string, string> = storage === 'pglite' ? {} : { DATABASE_URL: await scratchDatabase(b) };
      if (storage === 's3') {
        const s3 = await startScratchS3();
        b.cleanup.add(() => s3.close());
        Object.assign(env, s3.env());
      }
      try {
        const big = await bigWav(b.tmp, b.sizes.uploadBytes);
        const size = statSync(big).size;
        out.push(
          await withServer(b, `rss-upload-${storage}`, env, async (s) => {
            const t0 = performance.now();
            const p = await peakDuring(s, () => uploadFile(s, big));
            const seconds = (performance.now() - t0) / 1000;
            b.log(`  upload of ${mb(size)} MB: peak ${mb(p.peakBytes)} MB in ${seconds.toFixed(1)} s`);
            return metric(upload, mb(p.peakBytes), {
              fileMB: mb(size),
              uploadSeconds: round(seconds, 1),
              uploadMBps: round(mb(size) / seconds, 0),
              ...p.info,
            });
          }),
        );
      } catch (err) {
        out.push(failed(upload, err));
      }
      try {
        const long = await speechFile(b.tmp, b.sizes.longSeconds);
        out.push(
          await withServer(b, `rss-transcribe-${storage}`, env, async (s) => {
            const url = await uploadFile(s, long);
            const p = await peakDuring(s, () => timeTranscript(s, url));
            b.log(`  transcription of ${b.sizes.longSeconds} s: peak ${mb(p.peakBytes)} MB in ${(p.result.ms / 1000).toFixed(1)} s`);
            return metric(transcribe, mb(p.peakBytes), {
              audioSeconds: b.sizes.longSeconds,
              transcribeSeconds: round(p.result.ms / 1000, 1),
              realTimeFactor: round(p.result.ms / 1000 / b.sizes.longSeconds, 3),
              words: p.result.words,
              ...p.info,
              note: 'worker threads share the server process, so its RSS covers them; ffmpeg is a child process, counted only in sampledPeakWithChildrenMB',
            });
          }),
        );
      } catch (err) {
        out.push(failed(transcribe, err));
      }
      return out;
    },
  };
}

export const peakRss = peakRssOn('pglite');
export const peakRssPostgres = peakRssOn('postgres');
export const peakRssS3 = peakRssOn('s3');

export const MEASUREMENTS: Measurement[] = [engineOverhead, concurrency, polling, peakRss, peakRssPostgres, peakRssS3];
