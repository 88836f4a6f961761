import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
import { instanceId } from '../instance.js';
import type { Logger } from '../log.js';
import type { Alerts } from './alerts/dispatcher.js';
import type { AlertView } from './alerts/messages.js';
import { LOCAL_COMPONENTS, type ComponentDef, type LocalComponentId } from './components.js';
import { within } from './deadline.js';
import { acrossFleet, checkHttp, nodesApart, ownChecks, storageAcrossFleet } from './fleet.js';
import type { Heartbeat } from './heartbeat.js';
import { weigh } from './hysteresis.js';
import type { IncidentBook } from './incidents.js';
import { isProbeStatus } from './model.js';
import { probeLemur } from './probes/lemur.js';
import { probeQueue } from './probes/queue.js';
import { probeStorage } from './probes/storage.js';
import { probeStreaming } from './probes/streaming.js';
import { probeTranscription } from './probes/transcription.js';
import { failed, type Probe, type ProbeEnv, type ProbeResult } from './probes/types.js';
import { probeUpstream } from './probes/upstream.js';
import { lockComponent, saveComponent, type ComponentState } from './store/components.js';
import type { ComponentStates } from './states.js';
import { recordProbe, type TimeBucket } from './store/probes.js';
import type { WriteBuffer } from './write-buffer.js';

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
function weighed(thresholds: { failure: number; success: number }, c: ComponentState, r: ProbeResult, at: Date): ComponentState {
  const n: ComponentState = { ...c, lastObserved: r.observed, lastProbeAt: at, lastLatencyMs: r.latencyMs, lastMessage: r.message };
  if (r.observed === 'inactive') Object.assign(n, { active: false, badStreak: 0, goodStreak: 0 });
  else if (isProbeStatus(r.observed)) Object.assign(n, { active: true }, weigh(c, r.observed, thresholds));
  if (n.status !== c.status) n.updatedAt = at;
  return n;
}

export interface MonitorDeps {
  db: Db;
  log: Logger;
  config: Pick<
    Config,
    'statusFailureThreshold' | 'statusSuccessThreshold' | 'statusProbeSeconds' | 'statusUpstreamSeconds' | 'statusProbeTimeoutSeconds'
  >;
  defs: readonly ComponentDef[];
  states: ComponentStates;
  book: IncidentBook;
  alerts: Alerts;
  alertView: () => AlertView;
  heartbeat: Heartbeat;
  writes: WriteBuffer;
}

/** Runs the probe rounds and weighs each result into its component, its incident and its alerts. */
export class Monitor {
  private readonly thresholds: { failure: number; success: number };

  constructor(private readonly deps: MonitorDeps) {
    this.thresholds = { failure: deps.config.statusFailureThreshold, success: deps.config.statusSuccessThreshold };
  }

  /**
   * Weighs one probe result into its component: hysteresis, history (the time since the previous
   * probe, at most two intervals, counted in the status the component was in), and on a status
   * change the automatic incident and the alerts. The streaks are the fleet's, in the database (a
   * locked row): three failed probes from three nodes count as three, and exactly one node sees each
   * change and speaks of it. With the database away, this node weighs from memory, and speaks only if
   * it leads the fleet through the outage.
   */
  async apply(def: ComponentDef, r: ProbeResult, at: Date, intervalS: number): Promise<void> {
    const { db, log, states, book, alerts, heartbeat, writes } = this.deps;
    let before: ComponentState;
    let after: ComponentState;
    let shared = true;
    try {
      [before, after] = await within(
        3_000,
        db.transaction(async (tx) => {
          const current = (await lockComponent(tx, def.id)) ?? { ...states.get(def) };
          const next = weighed(this.thresholds, current, r, at);
          await saveComponent(tx, next);
          return [current, next] as const;
        }),
        'component weighing',
      );
    } catch {
      shared = false;
      before = { ...states.get(def) };
      after = weighed(this.thresholds, before, r, at);
    }
    const seconds = before.lastProbeAt
      ? Math.min(Math.max(0, (at.getTime() - before.lastProbeAt.getTime()) / 1000), 2 * intervalS)
      : intervalS;
    const changed = after.status !== before.status;
    const maintenance = book.inMaintenance(def.id);
    const bucket: TimeBucket = isProbeStatus(r.observed) ? (maintenance ? 'maintenance' : after.status) : null;
    if (changed)
      log.info({ component: def.id, from: before.status, to: after.status, message: r.message }, 'status: component status changed');
    if (changed && (shared || heartbeat.leadsOutage())) {
      if (!maintenance) await book.onTransition(def.id, before.status, after.status, r.message, at, shared);
      states.set(after);
      await alerts.component(this.deps.alertView(), def.id, before.status, after.status, at);
    }
    // After the incident: whoever reads the new status finds its incident too.
    states.set(after);
    const probe = {
      component: def.id,
      at,
      observed: r.observed,
      status: after.status,
      latencyMs: r.latencyMs,
      message: r.message,
      instanceId,
    };
    const state = { ...after };
    void writes.write('probe', async (db) => {
      await recordProbe(db, probe, bucket, seconds);
      if (!shared) await saveComponent(db, state);
    });
  }

  /** One round of local probes, all at once (each in its own worker: engine, decoder and LLM threads). */
  async localRound(env: ProbeEnv, shutdown: AbortSignal): Promise<Record<string, ProbeResult>> {
    const { config, book, heartbeat, states } = this.deps;
    const at = new Date();
    const intervalS = config.statusProbeSeconds || 300;
    const ended = heartbeat.speaks() ? await book.advanceMaintenances(at) : [];
    const [results, http] = await Promise.all([
      Promise.all(LOCAL_COMPONENTS.map((def) => timed(PROBES[def.id], env, shutdown))),
      checkHttp(env.baseUrl, Math.min(env.timeoutMs, 10_000)),
    ]);
    const own = Object.fromEntries(LOCAL_COMPONENTS.map((def, i) => [def.id, results[i]!])) as Record<LocalComponentId, ProbeResult>;
    await heartbeat.beat(ownChecks(http, own.streaming, at));
    // Every node checks its own HTTP and streaming each round: a node failing alone is a partial outage.
    const others = heartbeat.peers().filter((n) => n.instanceId !== instanceId);
    const freshMs = 3 * intervalS * 1000 + env.timeoutMs;
    const out: Record<string, ProbeResult> = {
      ...own,
      transcription:
        own.transcription.observed === 'operational' || own.transcription.observed === 'degraded_performance'
          ? acrossFleet(own.transcription, others, 'http', freshMs)
          : own.transcription,
      streaming: acrossFleet(own.streaming, others, 'streaming', freshMs),
      storage: storageAcrossFleet(own.storage, others.length + 1, await nodesApart(env.blobs, others).catch(() => 0)),
    };
    for (const def of LOCAL_COMPONENTS) await this.apply(def, out[def.id]!, at, intervalS);
    // Down during a maintenance (when no incident opens) and still down after it: now it is an incident.
    for (const id of new Set(ended)) {
      const def = this.deps.defs.find((d) => d.id === id);
      if (def && states.get(def).status !== 'operational')
        await book.onTransition(id, 'operational', states.get(def).status, states.get(def).lastMessage, new Date());
    }
    return out;
  }

  async upstreamRound(): Promise<void> {
    const { config } = this.deps;
    const at = new Date();
    const upstreams = this.deps.defs.filter((d) => d.upstream);
    const results = await Promise.all(
      upstreams.map((d) => probeUpstream(d.url!, Math.min(15_000, config.statusProbeTimeoutSeconds * 1000))),
    );
    for (const [i, def] of upstreams.entries()) await this.apply(def, results[i]!, at, config.statusUpstreamSeconds || 300);
  }
}
