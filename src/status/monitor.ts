import { LOCAL_COMPONENTS, type ComponentDef, type LocalComponentId } from './components.js';
import { within } from './deadline.js';
import { acrossFleet, checkHttp, nodesApart, ownChecks, storageAcrossFleet } from './fleet.js';
import { weigh } from './hysteresis.js';
import { isProbeStatus } from './model.js';
import { probeLemur } from './probes/lemur.js';
import { probeQueue } from './probes/queue.js';
import { probeStorage } from './probes/storage.js';
import { probeStreaming } from './probes/streaming.js';
import { probeTranscription } from './probes/transcription.js';
import { failed, type Probe, type ProbeEnv, type ProbeResult } from './probes/types.js';
import { probeUpstream } from './probes/upstream.js';
import type { StatusService } from './service.js';
import { lockComponent, saveComponent, type ComponentState } from './store/components.js';
import { recordProbe, type TimeBucket } from './store/probes.js';

const PROBES: Record<LocalComponentId, Probe> = {
  transcription: probeTranscription,
  streaming: probeStreaming,
  lemur: probeLemur,
  storage: probeStorage,
  queue: probeQueue,
};

/** Runs a probe within the time limit; one that ignores its abort signal is still answered for. */
async function timed(probe: Probe, env: ProbeEnv, shutdown: AbortSignal): Promise<ProbeResult> {
  const timeout = AbortSignal.timeout(env.timeoutMs);
  const signal = AbortSignal.any([timeout, shutdown]);
  let onAbort!: () => void;
  const late = new Promise<ProbeResult>((resolve) => {
    onAbort = () => setTimeout(() => resolve(failed(`no answer within ${env.timeoutMs / 1000} s`, env.timeoutMs)), 1000).unref();
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([probe(env, signal), late]);
  } catch (err) {
    return failed((err as Error).message);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** A component's state once probe `r` is weighed into `c` (hysteresis, and the latest probe). */
function weighed(svc: StatusService, c: ComponentState, r: ProbeResult, at: Date): ComponentState {
  const n: ComponentState = { ...c, lastObserved: r.observed, lastProbeAt: at, lastLatencyMs: r.latencyMs, lastMessage: r.message };
  if (r.observed === 'inactive') Object.assign(n, { active: false, badStreak: 0, goodStreak: 0 });
  else if (isProbeStatus(r.observed))
    Object.assign(
      n,
      { active: true },
      weigh(c, r.observed, { failure: svc.config.statusFailureThreshold, success: svc.config.statusSuccessThreshold }),
    );
  if (n.status !== c.status) n.updatedAt = at;
  return n;
}

/**
 * Weighs one probe result into its component: hysteresis, history (the time since the previous
 * probe, at most two intervals, counted in the status the component was in), and on a status
 * change the automatic incident and the alerts. The streaks are the fleet's, in the database (a
 * locked row): three failed probes from three nodes count as three, and exactly one node sees each
 * change and speaks of it. With the database away, this node weighs from memory, and speaks only if
 * it leads the fleet through the outage.
 */
export async function applyProbe(svc: StatusService, def: ComponentDef, r: ProbeResult, at: Date, intervalS: number): Promise<void> {
  let before: ComponentState;
  let after: ComponentState;
  let shared = true;
  try {
    [before, after] = await within(
      3_000,
      svc.db.transaction(async (tx) => {
        const current = (await lockComponent(tx, def.id)) ?? { ...svc.state(def) };
        const next = weighed(svc, current, r, at);
        await saveComponent(tx, next);
        return [current, next] as const;
      }),
      'component weighing',
    );
  } catch {
    shared = false;
    before = { ...svc.state(def) };
    after = weighed(svc, before, r, at);
  }
  const seconds = before.lastProbeAt
    ? Math.min(Math.max(0, (at.getTime() - before.lastProbeAt.getTime()) / 1000), 2 * intervalS)
    : intervalS;
  const changed = after.status !== before.status;
  const maintenance = svc.book.inMaintenance(def.id);
  const bucket: TimeBucket = isProbeStatus(r.observed) ? (maintenance ? 'maintenance' : after.status) : null;
  if (changed)
    svc.log.info({ component: def.id, from: before.status, to: after.status, message: r.message }, 'status: component status changed');
  if (changed && (shared || svc.leadsOutage())) {
    if (!maintenance) await svc.book.onTransition(def.id, before.status, after.status, r.message, at, shared);
    svc.setState(after);
    await svc.alerts.component(svc.alertView(), def.id, before.status, after.status, at);
  }
  // After the incident: whoever reads the new status finds its incident too.
  svc.setState(after);
  const probe = {
    component: def.id,
    at,
    observed: r.observed,
    status: after.status,
    latencyMs: r.latencyMs,
    message: r.message,
    instanceId: svc.instanceId,
  };
  const state = { ...after };
  void svc.writes.write('probe', async (db) => {
    await recordProbe(db, probe, bucket, seconds);
    if (!shared) await saveComponent(db, state);
  });
}

/** One round of local probes, all at once (each in its own worker: engine, decoder and LLM threads). */
export async function runLocalRound(svc: StatusService, env: ProbeEnv, shutdown: AbortSignal): Promise<Record<string, ProbeResult>> {
  const at = new Date();
  const intervalS = svc.config.statusProbeSeconds || 300;
  const ended = svc.speaks() ? await svc.book.advanceMaintenances(at) : [];
  const [results, http] = await Promise.all([
    Promise.all(LOCAL_COMPONENTS.map((def) => timed(PROBES[def.id], env, shutdown))),
    checkHttp(env.baseUrl, Math.min(env.timeoutMs, 10_000)),
  ]);
  const own = Object.fromEntries(LOCAL_COMPONENTS.map((def, i) => [def.id, results[i]!])) as Record<LocalComponentId, ProbeResult>;
  await svc.beat(ownChecks(http, own.streaming, at));
  // Every node checks its own HTTP and streaming each round: a node failing alone is a partial outage.
  const others = svc.peers().filter((n) => n.instanceId !== svc.instanceId);
  const freshMs = 3 * intervalS * 1000 + env.timeoutMs;
  const out: Record<string, ProbeResult> = {
    ...own,
    transcription:
      own.transcription.observed === 'operational' || own.transcription.observed === 'degraded_performance'
        ? acrossFleet(own.transcription, others, 'http', freshMs)
        : own.transcription,
    streaming: acrossFleet(own.streaming, others, 'streaming', freshMs),
    storage: storageAcrossFleet(own.storage, others.length + 1, await nodesApart(env.ctx.uploads.blobs, others).catch(() => 0)),
  };
  for (const def of LOCAL_COMPONENTS) await applyProbe(svc, def, out[def.id]!, at, intervalS);
  // Down during a maintenance (when no incident opens) and still down after it: now it is an incident.
  for (const id of new Set(ended)) {
    const def = svc.defs.find((d) => d.id === id);
    if (def && svc.state(def).status !== 'operational')
      await svc.book.onTransition(id, 'operational', svc.state(def).status, svc.state(def).lastMessage, new Date());
  }
  return out;
}

export async function runUpstreamRound(svc: StatusService): Promise<void> {
  const at = new Date();
  const upstreams = svc.defs.filter((d) => d.upstream);
  const results = await Promise.all(
    upstreams.map((d) => probeUpstream(d.url!, Math.min(15_000, svc.config.statusProbeTimeoutSeconds * 1000))),
  );
  for (const [i, def] of upstreams.entries()) await applyProbe(svc, def, results[i]!, at, svc.config.statusUpstreamSeconds || 300);
}
