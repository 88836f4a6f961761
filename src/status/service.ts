import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config.js';
import type { AppContext } from '../context.js';
import type { Db } from '../db/index.js';
import type { Logger } from '../log.js';
import type { BlobStore } from '../storage/blobs.js';
import { Alerts } from './alerts/dispatcher.js';
import { Mailer } from './alerts/email.js';
import type { AlertView } from './alerts/messages.js';
import { componentDefs, parseSlowMs, type ComponentDef } from './components.js';
import { newId } from './ids.js';
import { IncidentBook } from './incidents.js';
import type { ProbeStatus } from './model.js';
import { runLocalRound, runUpstreamRound } from './monitor.js';
import { makeClip } from './probes/clip.js';
import { createProbeKey, pruneProbeTranscripts, revokeProbeKey } from './probes/key.js';
import type { ProbeEnv, ProbeResult } from './probes/types.js';
import { Scheduler } from './scheduler.js';
import { loadComponents, type ComponentState } from './store/components.js';
import { sharedValue } from './store/meta.js';
import { pruneProbes } from './store/probes.js';
import { memoryView } from './view.js';
import { WriteBuffer } from './write-buffer.js';
import { within } from './deadline.js';
import { checkSelf, nodeMarkerKey } from './fleet.js';
import { instanceId, version } from '../instance.js';
import { heartbeat, leave, liveNodes, type NodeChecks, type NodeRow } from './store/nodes.js';

/**
 * The status page's state and machinery, one per process: component states (in memory, mirrored
 * to the database), the incident book, alerts, and the probe schedule once `start` is called.
 */
export class StatusService {
  readonly defs: ComponentDef[];
  readonly writes: WriteBuffer;
  readonly alerts: Alerts;
  readonly book: IncidentBook;
  private readonly states = new Map<string, ComponentState>();
  private readonly mailer: Mailer | null;
  private scheduler: Scheduler | null = null;
  private env: ProbeEnv | null = null;
  private readonly shutdown = new AbortController();
  /** Local rounds run one at a time (scheduled and on-demand alike). */
  private rounds: Promise<unknown> = Promise.resolve();
  private lastPrune = 0;
  private baseUrl: string;
  readonly instanceId = instanceId;
  private readonly startedAt = new Date();
  /** The live nodes as the last heartbeat found them (this one included). */
  private nodes: NodeRow[] = [];
  /** Whether the last heartbeat reached the database. */
  private dbReached = true;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  /** Where this node keeps uploads (set by `start`). */
  private blobs: BlobStore | null = null;

  private constructor(
    readonly config: Config,
    readonly db: Db,
    readonly log: Logger,
    readonly pageId: string,
    readonly secret: string,
  ) {
    this.defs = componentDefs(config);
    parseSlowMs(config.statusSlowMs); // a bad setting stops the start, not the first round
    this.writes = new WriteBuffer(db, log);
    this.mailer = Mailer.fromConfig(config);
    this.alerts = new Alerts({ config, db, log, writes: this.writes, mailer: this.mailer, secret });
    this.book = new IncidentBook({
      db,
      writes: this.writes,
      alerts: this.alerts,
      alertView: () => this.alertView(),
      componentName: (id) => this.defs.find((d) => d.id === id)?.name ?? id,
      componentStatus: (id) => this.states.get(id)?.status ?? 'operational',
      successThreshold: config.statusSuccessThreshold,
    });
    this.baseUrl = `http://${config.host}:${config.port}`;
  }

  static async create(config: Config, db: Db, log: Logger): Promise<StatusService> {
    const pageId = await sharedValue(db, 'page_id', newId);
    const secret = await sharedValue(db, 'secret', () => randomBytes(32).toString('hex'));
    const svc = new StatusService(config, db, log, pageId, secret);
    await svc.reload();
    return svc;
  }

  get emailEnabled(): boolean {
    return this.mailer !== null;
  }

  /** False when this process does not probe (EARSHOT_STATUS_PROBE_SECONDS=0). */
  get probing(): boolean {
    return this.env !== null;
  }

  /** Where people find the page: EARSHOT_PUBLIC_URL, else this server's own URL. */
  pageUrl(): string {
    return `${(this.config.publicUrl ?? this.baseUrl).replace(/\/+$/, '')}/status`;
  }

  /**
   * Re-reads component states (only `ids`: a node may probe some components while another node
   * probes the rest) and open incidents, as whichever node probes wrote them.
   */
  async reload(ids: string[] = this.defs.map((d) => d.id)): Promise<void> {
    const rows = await loadComponents(this.db);
    for (const r of rows) if (ids.includes(r.id)) this.states.set(r.id, r);
    // Incidents this process is still writing would be dropped by a reload; the next one catches up.
    if (this.writes.size === 0) await this.book.load();
  }

  /** A component's state, created on first use: hidden until a probe has found something. */
  state(def: ComponentDef): ComponentState {
    let s = this.states.get(def.id);
    if (!s) {
      const now = new Date();
      s = {
        id: def.id,
        name: def.name,
        status: 'operational' as ProbeStatus,
        active: false,
        badStreak: 0,
        goodStreak: 0,
        lastObserved: null,
        lastProbeAt: null,
        lastLatencyMs: null,
        lastMessage: null,
        createdAt: now,
        updatedAt: now,
      };
      this.states.set(def.id, s);
    }
    return s;
  }

  setState(s: ComponentState): void {
    this.states.set(s.id, { ...s });
  }

  /** How often this node records itself as alive; it drops off the list after three missed beats. */
  private get heartbeatSeconds(): number {
    return Math.min(15, Math.max(1, this.config.statusProbeSeconds || 15));
  }

  /**
   * Records this node as alive (with its own checks, when given) and reloads the list of live nodes and
   * the alert recipients: whichever node leads a database outage alerts from the list it last read. Never throws.
   */
  async beat(checks?: NodeChecks): Promise<void> {
    try {
      await within(
        3_000,
        heartbeat(
          this.db,
          { instanceId, version, hostname: os.hostname(), baseUrl: this.baseUrl, startedAt: this.startedAt, checks },
          3 * this.heartbeatSeconds,
        ),
        'heartbeat',
      );
      this.nodes = await within(3_000, liveNodes(this.db), 'live nodes');
      this.dbReached = true;
      await this.alerts.refresh();
    } catch (err) {
      if (this.dbReached) this.log.warn({ err }, 'status: heartbeat failed');
      this.dbReached = false;
    }
  }

  /** The fleet's live nodes, for operators (the last list seen while the database is away). */
  async listNodes(): Promise<NodeRow[]> {
    try {
      return await within(3_000, liveNodes(this.db), 'live nodes');
    } catch {
      return this.peers();
    }
  }

  peers(): NodeRow[] {
    return this.nodes.map((n) => ({ ...n }));
  }

  /**
   * Whether this node speaks for the fleet (alerts, automatic incidents, maintenance steps) while
   * the database is away: the oldest live probing node as last seen, so a fleet sends each alert once.
   */
  leadsOutage(): boolean {
    // Nodes that probe (they record checks); one with EARSHOT_STATUS_PROBE_SECONDS=0 cannot speak for the rest.
    const oldest = this.nodes.find((n) => n.checks.http || n.instanceId === instanceId);
    return !oldest || oldest.instanceId === instanceId;
  }

  /** Whether this node may write fleet-wide steps now: the database answers, or it leads the outage. */
  speaks(): boolean {
    return this.dbReached || this.leadsOutage();
  }

  memoryComponents(): ComponentState[] {
    return [...this.states.values()].map((s) => ({ ...s }));
  }

  alertView(): AlertView {
    return memoryView(this, this.pageUrl());
  }

  /** Starts probing on a timer (EARSHOT_STATUS_PROBE_SECONDS, EARSHOT_STATUS_UPSTREAM_SECONDS). `baseUrl` is this server's own address. */
  async start(ctx: AppContext, baseUrl: string): Promise<void> {
    this.baseUrl = baseUrl;
    const follow = (upstream: boolean) => () =>
      within(10_000, this.reload(this.defs.filter((d) => d.upstream === upstream).map((d) => d.id)), 'status reload');
    this.scheduler = new Scheduler(this.db, this.log);
    this.blobs = ctx.uploads.blobs;
    // On local storage, the other nodes find this marker only if they read the same disk.
    if (!this.blobs.shared)
      await this.blobs
        .put(nodeMarkerKey(instanceId), [Buffer.from(`${os.hostname()} ${baseUrl}\n`)])
        .catch((err: unknown) => this.log.warn({ err }, 'status: node marker not written'));
    await this.beat();
    this.heartbeatTimer = setInterval(() => void this.beat(), this.heartbeatSeconds * 1000);
    this.heartbeatTimer.unref();
    if (this.config.statusProbeSeconds > 0) {
      const probe = await createProbeKey(this.db, instanceId);
      this.env = {
        ctx,
        baseUrl,
        key: probe.key,
        projectId: probe.projectId,
        keyId: probe.id,
        clip: await makeClip(path.join(this.config.dataDir, 'status')),
        slowMs: parseSlowMs(this.config.statusSlowMs),
        timeoutMs: this.config.statusProbeTimeoutSeconds * 1000,
      };
      const env = this.env;
      // The nodes that do not probe this round check their own HTTP and streaming.
      const followLocal = async () => {
        await follow(false)();
        await this.beat(await checkSelf(env, this.shutdown.signal));
      };
      this.scheduler.every(
        'local',
        this.config.statusProbeSeconds,
        this.config.statusFirstProbeSeconds,
        async () => void (await this.probeNow()),
        followLocal,
      );
    }
    if (this.config.statusUpstreamSeconds > 0 && this.defs.some((d) => d.upstream)) {
      this.scheduler.every(
        'upstream',
        this.config.statusUpstreamSeconds,
        this.config.statusFirstProbeSeconds,
        () => runUpstreamRound(this),
        follow(true),
      );
    }
  }

  /** Probes every local component now (after any round under way). */
  probeNow(): Promise<Record<string, ProbeResult>> {
    const env = this.env;
    if (!env) return Promise.reject(new Error('this server does not probe (EARSHOT_STATUS_PROBE_SECONDS=0)'));
    const round = this.rounds.then(async () => {
      await within(5_000, this.writes.flush(), 'status writes').catch(() => undefined);
      const results = await runLocalRound(this, env, this.shutdown.signal);
      await within(30_000, this.prune(env), 'pruning').catch(() => undefined);
      return results;
    });
    this.rounds = round.catch(() => undefined);
    return round;
  }

  private async prune(env: ProbeEnv): Promise<void> {
    if (Date.now() - this.lastPrune < 3_600_000) return;
    try {
      await pruneProbes(this.db, this.config.statusRetentionDays);
      await pruneProbeTranscripts(this.db, env.projectId);
      this.lastPrune = Date.now();
    } catch (err) {
      this.log.warn({ err }, 'status: old probes not pruned');
    }
  }

  async stop(): Promise<void> {
    this.shutdown.abort();
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    await this.scheduler?.stop();
    await this.rounds;
    await this.alerts.stop();
    await this.writes.flush();
    if (this.env)
      await revokeProbeKey(this.db, this.env.keyId).catch((err: unknown) => this.log.warn({ err }, 'status: probe key not revoked'));
    if (this.blobs && !this.blobs.shared) await this.blobs.delete(nodeMarkerKey(instanceId)).catch(() => undefined);
    if (this.scheduler)
      await leave(this.db, instanceId).catch((err: unknown) => this.log.warn({ err }, 'status: node not removed from the list'));
    this.mailer?.close();
  }
}
