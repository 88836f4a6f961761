import type { Db } from '../../db/index.js';
import type { EngineChoice } from '../../engines/choice.js';
import type { Llm } from '../../lemur/service.js';
import type { Queue } from '../../queue/index.js';
import type { BlobStore } from '../../storage/blobs.js';
import type { LocalComponentId } from '../components.js';
import type { Observed, ProbeStatus } from '../model.js';
import type { ProbeClip } from './clip.js';

export interface ProbeResult {
  observed: Observed;
  latencyMs: number | null;
  message: string | null;
}

/** The parts of the server the probes look at (each probe uses a few). */
export interface ProbeTargets {
  db: Db;
  queue: Queue;
  engine: EngineChoice;
  llm: Llm;
  /** Where uploads are kept: whether the fleet's nodes share it. */
  blobs: BlobStore;
}

/** What the probes of one server share. */
export interface ProbeEnv extends ProbeTargets {
  /** This server's own HTTP URL: probes come in through the front door, as users do. */
  baseUrl: string;
  /** An API key of the probe project, made for this process. */
  key: string;
  keyId: string;
  projectId: string;
  clip: ProbeClip;
  slowMs: Partial<Record<LocalComponentId, number>>;
  timeoutMs: number;
}

/** A probe, given only the parts of the environment `K` it reads. */
export type Probe<K extends keyof ProbeEnv = keyof ProbeEnv> = (env: Pick<ProbeEnv, K>, signal: AbortSignal) => Promise<ProbeResult>;

/** Working: operational, or degraded when slower than the component's limit. */
export function byLatency(env: Pick<ProbeEnv, 'slowMs'>, id: LocalComponentId, latencyMs: number, message: string): ProbeResult {
  const limit = env.slowMs[id];
  const slow = limit !== undefined && latencyMs > limit;
  const observed: ProbeStatus = slow ? 'degraded_performance' : 'operational';
  return { observed, latencyMs: Math.round(latencyMs), message: slow ? `${message}; slower than ${limit} ms` : message };
}

export const failed = (message: string, latencyMs: number | null = null, observed: ProbeStatus = 'major_outage'): ProbeResult => ({
  observed,
  latencyMs: latencyMs === null ? null : Math.round(latencyMs),
  message,
});

/** The cause of a fetch failure, not undici's bare "fetch failed". */
export const reason = (err: unknown): string => {
  const e = err as Error & { cause?: Error & { code?: string } };
  return e.cause?.code ? `${e.cause.code}: ${e.cause.message}` : (e.cause?.message ?? e.message);
};
