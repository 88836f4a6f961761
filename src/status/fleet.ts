import type { BlobStore } from '../storage/blobs.js';
import { probeStreaming } from './probes/streaming.js';
import { failed, reason, type ProbeEnv, type ProbeResult } from './probes/types.js';
import type { NodeCheck, NodeChecks, NodeRow } from './store/nodes.js';

/** This node's own HTTP listener: any answer from `/health` means it serves requests. */
export async function checkHttp(baseUrl: string, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  try {
    const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    const ms = Math.round(performance.now() - started);
    return { observed: 'operational', latencyMs: ms, message: `HTTP answered ${res.status} in ${ms} ms` };
  } catch (err) {
    return failed(`HTTP: ${reason(err)}`, performance.now() - started);
  }
}

const asCheck = (r: ProbeResult, at: Date): NodeCheck => ({ observed: r.observed, message: r.message, at: at.toISOString() });

/** The checks every node runs on itself each round, whichever node probes the rest. */
export async function checkSelf(env: ProbeEnv, signal: AbortSignal): Promise<NodeChecks> {
  const at = new Date();
  const timeout = AbortSignal.any([signal, AbortSignal.timeout(env.timeoutMs)]);
  const [http, streaming] = await Promise.all([
    checkHttp(env.baseUrl, Math.min(env.timeoutMs, 10_000)),
    probeStreaming(env, timeout).catch((err: Error) => failed(err.message)),
  ]);
  // Refused with 3009 (the probe's partial_outage): the fleet's sessions are all taken, which says nothing about this node.
  const own = streaming.observed === 'partial_outage' ? { ...streaming, observed: 'unknown' as const } : streaming;
  return { http: asCheck(http, at), streaming: asCheck(own, at) };
}

export const ownChecks = (http: ProbeResult, streaming: ProbeResult, at: Date): NodeChecks => ({
  http: asCheck(http, at),
  streaming: asCheck(streaming, at),
});

const working = (o: string) => o === 'operational' || o === 'degraded_performance';

/**
 * The fleet's view of one component from this node's probe and the other live nodes' own checks
 * (those younger than `freshMs`): failing on some nodes only is a partial outage, wherever the
 * probing node stands.
 */
export function acrossFleet(own: ProbeResult, others: NodeRow[], kind: keyof NodeChecks, freshMs: number, now = Date.now()): ProbeResult {
  const seen = others.flatMap((n) => {
    const c = n.checks[kind];
    return c && now - Date.parse(c.at) <= freshMs ? [{ node: n, check: c }] : [];
  });
  const bad = seen.filter((s) => !working(s.check.observed) && s.check.observed !== 'unknown' && s.check.observed !== 'inactive');
  const ownWorks = working(own.observed);
  if (bad.length === 0 && (ownWorks || seen.length === 0)) return own;
  const total = seen.length + 1;
  const failing = bad.length + (ownWorks ? 0 : 1);
  const where = bad.map((s) => `${s.node.hostname} ${s.node.baseUrl}: ${s.check.message ?? s.check.observed}`);
  if (!ownWorks) where.unshift(`this node: ${own.message ?? own.observed}`);
  const message = `fails on ${failing} of ${total} nodes (${where.join('; ')})`;
  return { observed: failing === total ? 'major_outage' : 'partial_outage', latencyMs: own.latencyMs, message };
}

/** The blob a node leaves in its own store, so that the others can tell whether they read the same store. */
export const nodeMarkerKey = (instanceId: string): string => `nodes/${instanceId}`;

/**
 * How many of `nodes` keep their blobs where this node cannot read them: local disks, not one disk
 * they all mount (`file://` on a shared volume) nor an object store.
 */
export async function nodesApart(blobs: BlobStore, nodes: Pick<NodeRow, 'instanceId'>[]): Promise<number> {
  if (blobs.shared) return 0;
  const seen = await Promise.all(nodes.map((n) => blobs.stat(nodeMarkerKey(n.instanceId))));
  return seen.filter((s) => s === null).length;
}

/**
 * The Storage component of a fleet whose live nodes do not share a store (`apart` of them keep
 * uploads where this node cannot read them): the database works and so do audio_url jobs, but an
 * upload is readable only on the node that took it, so a job another node runs fails (with a
 * message, never ENOENT). Statuspage calls a component that works but is "impacted in a minor way"
 * degraded_performance; partial_outage is "completely broken for a subset of customers", which no
 * customer is. A worse probe wins.
 */
export function storageAcrossFleet(own: ProbeResult, liveNodes: number, apart: number): ProbeResult {
  if (apart === 0 || !working(own.observed)) return own;
  const message = `${own.message ? `${own.message}; ` : ''}${liveNodes} live nodes share this database but not a disk: an upload is readable only on the node that took it (set EARSHOT_STORAGE_URL=s3://BUCKET on every node)`;
  return { observed: 'degraded_performance', latencyMs: own.latencyMs, message };
}
