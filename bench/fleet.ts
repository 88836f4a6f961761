import os from 'node:os';
import { speechFile, warmupClip } from './audio.js';
import { failed, metric, scratchDatabase, type BenchContext, type Measurement, type Metric, type MetricSpec } from './measures.js';
import { startScratchS3 } from './s3.js';
import { createTranscript, launchServer, pollTranscript, uploadFile, type BenchServer } from './server.js';
import { BusyMeter, median, round, waitForQuiet } from './util.js';

// ─── fleet ────────────────────────────────────────────────────────────────────────────────────
// 1, 2 and 3 worker nodes on one PostgreSQL database and one S3 store (s3rver), one job at a time
// each: a batch of jobs spread by the queue. On this machine the nodes share its cores, so the
// ratio is capped by them (2 cores: about 2× at best, whatever the node count).

const NODES = [2, 3] as const;
const spec = (n: number): { throughput: MetricSpec; p95: MetricSpec } => ({
  throughput: {
    id: `fleet_throughput_${n}`,
    name: `Fleet throughput, ${n} worker nodes vs 1 (S3 storage, one job at a time per node)`,
    unit: '×',
    op: '>=',
    // Each node beyond the first is worth 0.8 of a node while cores are free for it.
    target: round(1 + 0.8 * (Math.min(n, os.availableParallelism()) - 1), 2),
  },
  p95: {
    id: `fleet_p95_${n}`,
    name: `Fleet p95 time to complete, ${n} worker nodes / 1 node (same batch)`,
    unit: '×',
    op: '<=',
    target: round(1 / (1 + 0.8 * (Math.min(n, os.availableParallelism()) - 1)), 2),
  },
});

const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(0.95 * xs.length) - 1)]!;

interface Batch {
  nodes: number;
  jobs: number;
  wallMs: number;
  jobsPerMinute: number;
  p95Ms: number;
  medianMs: number;
  /** Which node ran each job, counted (from the servers' logs). */
  jobsPerNode: number[];
  busyCores: number;
}

/** `jobs` transcripts of one upload at once, created round-robin on the nodes; each timed from its POST to the poll that sees it completed. */
async function batch(b: BenchContext, nodes: BenchServer[], audioUrl: string, jobs: number, quiet = true): Promise<Batch> {
  if (quiet) await waitForQuiet(b.log, 0.35, 20_000);
  const meter = new BusyMeter();
  const t0 = performance.now();
  const times = await Promise.all(
    Array.from({ length: jobs }, async (_, i) => {
      const node = nodes[i % nodes.length]!;
      const start = performance.now();
      const created = await createTranscript(node, audioUrl);
      await pollTranscript(nodes[(i + 1) % nodes.length]!, created.id, { everyMs: 200 });
      return { id: created.id, ms: performance.now() - start };
    }),
  );
  const wallMs = performance.now() - t0;
  const busyCores = meter.stop();
  const ran = nodes.map((n) => {
    const started = new Set(n.logs().flatMap((l) => (l.msg === 'transcription started' && l.transcript ? [l.transcript] : [])));
    return times.filter((t) => started.has(t.id)).length;
  });
  const ms = times.map((t) => t.ms);
  return {
    nodes: nodes.length,
    jobs,
    wallMs: round(wallMs, 0),
    jobsPerMinute: round((jobs / wallMs) * 60_000, 2),
    p95Ms: round(p95(ms), 0),
    medianMs: round(median(ms), 0),
    jobsPerNode: ran,
    busyCores,
  };
}

export const fleet: Measurement = {
  name: 'fleet',
  metrics: NODES.flatMap((n) => [spec(n).throughput, spec(n).p95]),
  async run(b) {
    const quick = b.sizes.runs === 1;
    const seconds = quick ? 10 : 30;
    const jobs = quick ? 6 : 12;
    const file = await speechFile(b.tmp, seconds);
    const s3 = await startScratchS3();
    b.cleanup.add(() => s3.close());
    const env = {
      ...s3.env(),
      DATABASE_URL: await scratchDatabase(b),
      EARSHOT_CONCURRENCY: '1',
      // No status probes: their jobs and sessions would land in the batches timed.
      EARSHOT_STATUS_PROBE_SECONDS: '0',
      EARSHOT_LOG_LEVEL: 'info',
    };
    const nodes: BenchServer[] = [];
    const batches: Batch[] = [];
    try {
      let audioUrl = '';
      for (const n of [1, ...NODES]) {
        while (nodes.length < n)
          nodes.push(await launchServer({ bin: b.bin, tmp: b.tmp, name: `fleet-${nodes.length + 1}`, env, cleanup: b.cleanup }));
        // Warm every node's engine (its first job loads the model): one short job per node at once, twice.
        const warm = await uploadFile(nodes[0]!, warmupClip());
        for (let i = 0; i < 2; i++) await batch(b, nodes, warm, n, false);
        audioUrl ||= await uploadFile(nodes[0]!, file);
        const r = await batch(b, nodes, audioUrl, jobs);
        b.log(
          `  ${n} node(s): ${jobs} jobs of ${seconds} s in ${(r.wallMs / 1000).toFixed(1)} s (${r.jobsPerMinute} jobs/min), p95 ${r.p95Ms} ms, per node ${r.jobsPerNode.join('/')}, ${r.busyCores} cores busy`,
        );
        batches.push(r);
      }
    } catch (err) {
      return fleet.metrics.map((m) => failed(m, err));
    } finally {
      await Promise.all(nodes.map((n) => n.destroy()));
    }
    const one = batches[0]!;
    const out: Metric[] = [];
    for (const [i, n] of NODES.entries()) {
      const r = batches[i + 1]!;
      const details = { audioSeconds: seconds, jobs, cpuCores: os.availableParallelism(), oneNode: one, thisFleet: r };
      out.push(metric(spec(n).throughput, round(r.jobsPerMinute / one.jobsPerMinute, 3), details));
      out.push(metric(spec(n).p95, round(r.p95Ms / one.p95Ms, 3), details));
    }
    return out;
  },
};
