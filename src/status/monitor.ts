import { LOCAL_COMPONENTS, type ComponentDef, type LocalComponentId } from './components.js';
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
import { saveComponent } from './store/components.js';
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

/**
 * Weighs one probe result into its component: hysteresis, history (the time since the previous
 * probe, at most two intervals, counted in the status the component was in), and on a status
 * change the automatic incident and the alerts.
 */
export async function applyProbe(svc: StatusService, def: ComponentDef, r: ProbeResult, at: Date, intervalS: number): Promise<void> {
  const c = svc.state(def);
  const before = c.status;
  const seconds = c.lastProbeAt ? Math.min(Math.max(0, (at.getTime() - c.lastProbeAt.getTime()) / 1000), 2 * intervalS) : intervalS;
  c.lastObserved = r.observed;
  c.lastProbeAt = at;
  c.lastLatencyMs = r.latencyMs;
  c.lastMessage = r.message;
  if (r.observed === 'inactive') {
    c.active = false;
    c.badStreak = c.goodStreak = 0;
  } else if (isProbeStatus(r.observed)) {
    c.active = true;
    Object.assign(c, weigh(c, r.observed, { failure: svc.config.statusFailureThreshold, success: svc.config.statusSuccessThreshold }));
  }
  const changed = c.status !== before;
  if (changed) c.updatedAt = at;
  const maintenance = svc.book.inMaintenance(def.id);
  const bucket: TimeBucket = isProbeStatus(r.observed) ? (maintenance ? 'maintenance' : c.status) : null;
  if (changed) {
    svc.log.info({ component: def.id, from: before, to: c.status, message: r.message }, 'status: component status changed');
    await svc.alerts.component(svc.alertView(), def.id, before, c.status, at);
    if (!maintenance) await svc.book.onTransition(def.id, before, c.status, r.message, at);
  }
  // After the incident's writes: whoever reads the new status finds its incident up to date too.
  const probe = { component: def.id, at, observed: r.observed, status: c.status, latencyMs: r.latencyMs, message: r.message };
  const state = { ...c };
  void svc.writes.write('probe', async (db) => {
    await recordProbe(db, probe, bucket, seconds);
    await saveComponent(db, state);
  });
}

/** One round of local probes, all at once (each in its own worker: engine, decoder and LLM threads). */
export async function runLocalRound(svc: StatusService, env: ProbeEnv, shutdown: AbortSignal): Promise<Record<string, ProbeResult>> {
  const at = new Date();
  const ended = await svc.book.advanceMaintenances(at);
  const results = await Promise.all(LOCAL_COMPONENTS.map((def) => timed(PROBES[def.id], env, shutdown)));
  const out: Record<string, ProbeResult> = {};
  for (const [i, def] of LOCAL_COMPONENTS.entries()) {
    out[def.id] = results[i]!;
    await applyProbe(svc, def, results[i]!, at, svc.config.statusProbeSeconds || 300);
  }
  // Down during a maintenance (when no incident opens) and still down after it: now it is an incident.
  for (const id of new Set(ended)) {
    const def = svc.defs.find((d) => d.id === id);
    if (def && svc.state(def).status !== 'operational') await svc.book.onTransition(id, 'operational', svc.state(def).status, svc.state(def).lastMessage, new Date());
  }
  return out;
}

export async function runUpstreamRound(svc: StatusService): Promise<void> {
  const at = new Date();
  const upstreams = svc.defs.filter((d) => d.upstream);
  const results = await Promise.all(upstreams.map((d) => probeUpstream(d.url!, Math.min(15_000, svc.config.statusProbeTimeoutSeconds * 1000))));
  for (const [i, def] of upstreams.entries()) await applyProbe(svc, def, results[i]!, at, svc.config.statusUpstreamSeconds || 300);
}
