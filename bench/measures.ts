import { createScratchDatabase } from '../src/db/scratch.js';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { statSync } from 'node:fs';
import autocannon, { type Result as CannonResult } from 'autocannon';
import { decodeAudio } from '../src/audio/decode.js';
import type { Engine } from '../src/engines/engine.js';
import { createPocketsphinxEngine } from '../src/engines/pocketsphinx.js';
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
import { BusyMeter, type Cleanup, RssSampler, mb, median, procCpuMs, procMemory, resetPeakRss, round, run, waitForQuiet } from './util.js';

export interface Sizes {
  /** Length of the speech file for the overhead and concurrency runs. */
  speechSeconds: number;
  /** Repetitions; the median is reported. */
  runs: number;
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
  pollingJobSeconds: 600,
  pollingDurationSeconds: 10,
  pollingConnections: 50,
  uploadBytes: 1024 ** 3,
  longSeconds: 1200,
};

export const QUICK: Sizes = {
  speechSeconds: 15,
  runs: 1,
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
async function withServer<T>(b: BenchContext, name: string, env: Record<string, string>, fn: (s: BenchServer) => Promise<T>): Promise<T> {
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

const OVERHEAD: MetricSpec = { id: 'engine_overhead', name: 'End-to-end time / bare engine time', unit: '×', op: '<=', target: 1.1 };

interface Timed {
  ms: number;
  words: number;
  /** CPU time of the process doing the work (bench process / server process, all threads; ffmpeg not included). */
  cpuMs: number;
  /** Cores the whole machine kept busy meanwhile: well above what the run itself needs means a noisy neighbour. */
  busyCores: number;
}

async function bareRun(engine: Engine, file: string): Promise<Timed> {
  const meter = new BusyMeter();
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const audio = decodeAudio(file);
  const [result] = await Promise.all([engine.transcribe(audio.pcm), audio.done]);
  const ms = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  return { ms, words: result.words.length, cpuMs: (used.user + used.system) / 1000, busyCores: meter.stop() };
}

/** One transcript through the server, timed from POST to the poll that sees it completed. */
async function serverRun(s: BenchServer, audioUrl: string) {
  const meter = new BusyMeter();
  const cpu0 = procCpuMs(s.pid) ?? NaN;
  const r = await timeTranscript(s, audioUrl);
  return { ...r, cpuMs: (procCpuMs(s.pid) ?? NaN) - cpu0, busyCores: meter.stop() };
}

export const engineOverhead: Measurement = {
  name: 'engine overhead',
  metrics: [OVERHEAD],
  async run(b) {
    const { runs, speechSeconds } = b.sizes;
    const file = await speechFile(b.tmp, speechSeconds);

    const engine = createPocketsphinxEngine();
    const bare: Timed[] = [];
    try {
      await bareRun(engine, warmupClip()); // loads the model (lazily, on first use)
      for (let i = 0; i < runs; i++) {
        await waitForQuiet(b.log);
        bare.push(await bareRun(engine, file));
        b.log(`  bare engine run ${i + 1}/${runs}: ${Math.round(bare.at(-1)!.ms)} ms`);
      }
    } finally {
      await engine.close();
    }

    const server = await withServer(b, 'overhead', {}, async (s) => {
      // The first job of a server also starts its worker thread and loads the model: measured apart.
      const cold = await timeTranscript(s, await uploadFile(s, warmupClip()));
      const url = await uploadFile(s, file);
      const e2e = [];
      for (let i = 0; i < runs; i++) {
        await waitForQuiet(b.log);
        e2e.push(await serverRun(s, url));
        b.log(`  end-to-end run ${i + 1}/${runs}: ${Math.round(e2e.at(-1)!.ms)} ms`);
      }
      const logs = s.logs();
      return { cold, e2e, timelines: e2e.map((r) => transcriptTimeline(logs, r.id, r.postedAt, r.completedAt)) };
    });

    const bareMs = median(bare.map((r) => r.ms));
    const e2eMs = median(server.e2e.map((r) => r.ms));
    const timelines = server.timelines.filter((t) => t !== null);
    const med = (k: keyof (typeof timelines)[number]) => (timelines.length ? round(median(timelines.map((t) => t[k])), 0) : null);
    return [
      metric(OVERHEAD, round(e2eMs / bareMs, 3), {
        audioSeconds: speechSeconds,
        runs,
        bareMedianMs: round(bareMs, 0),
        endToEndMedianMs: round(e2eMs, 0),
        bareRunsMs: bare.map((r) => round(r.ms, 0)),
        endToEndRunsMs: server.e2e.map((r) => round(r.ms, 0)),
        bareWords: bare[0]?.words,
        endToEndWords: server.e2e[0]?.words,
        bareBusyCores: bare.map((r) => r.busyCores),
        endToEndBusyCores: server.e2e.map((r) => r.busyCores),
        bareCpuMedianMs: round(median(bare.map((r) => r.cpuMs)), 0),
        serverCpuMedianMs: round(median(server.e2e.map((r) => r.cpuMs)), 0),
        cpuTimeRatio: round(median(server.e2e.map((r) => r.cpuMs)) / median(bare.map((r) => r.cpuMs)), 3),
        /** The server's first job (the short warm-up clip): includes starting the worker thread and loading the model. */
        coldWarmupJobMs: round(server.cold.ms, 0),
        breakdownMedianMs: {
          post: med('postMs'),
          queueWait: med('queueWaitMs'),
          processing: med('processingMs'),
          observe: med('observeMs'),
        },
        clientPollMs: 50,
        queuePollSeconds: 0.5,
      }),
    ];
  },
};

// ─── 2. concurrency ─────────────────────────────────────────────────────────────────────────────

const CONCURRENCY: MetricSpec = {
  id: 'concurrency_throughput',
  name: 'Throughput, 2 jobs at once vs 1 (concurrency 2)',
  unit: '×',
  op: '>=',
  target: 1.8,
};

/** `bare.js` (built beside this file) in a child process: the bare engine, one process per engine. */
async function bareProcess(file: string): Promise<number> {
  const script = fileURLToPath(new URL('./bare.js', import.meta.url));
  return (JSON.parse(await run(process.execPath, [script, file])) as { ms: number }).ms;
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
        metric(CONCURRENCY, round((2 * singleMs) / pairMs, 3), {
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
async function peakDuring<T>(s: BenchServer, fn: () => Promise<T>) {
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
