import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
import { instanceId } from '../instance.js';
import type { Logger } from '../log.js';
import type { BlobStore } from '../storage/blobs.js';
import { Alerts } from './alerts/dispatcher.js';
import { Mailer } from './alerts/email.js';
import type { AlertView } from './alerts/messages.js';
import { componentDefs, parseSlowMs, pickComponents, type ComponentDef } from './components.js';
import { within } from './deadline.js';
import { checkSelf, nodeMarkerKey } from './fleet.js';
import { Heartbeat } from './heartbeat.js';
import { newId } from './ids.js';
import { IncidentBook } from './incidents.js';
import { Monitor } from './monitor.js';
import { makeClip } from './probes/clip.js';
import { createProbeKey, pruneProbeTranscripts, revokeProbeKey } from './probes/key.js';
import type { ProbeEnv, ProbeResult, ProbeTargets } from './probes/types.js';
import { Scheduler } from './scheduler.js';
import { ComponentStates } from './states.js';
import { sharedValue } from './store/meta.js';
import type { NodeRow } from './store/nodes.js';
import { pruneProbes } from './store/probes.js';
import { Subscriptions } from './subscriptions.js';
import type { StatusPage } from './types.js';
import { buildView, memoryView, type StatusView, type ViewSource } from './view.js';
import { WriteBuffer } from './write-buffer.js';

/**
 * The status page, one per process: a facade over its collaborators, built here and each given
 * only what it uses: the component states, the heartbeat (this node in the fleet), the incident
 * book, the alerts and subscriptions, and the monitor that runs the probe rounds once `start` is called.
 */
export class StatusService implements StatusPage {
  readonly instanceId = instanceId;
  readonly book: IncidentBook;
  readonly subscriptions: Subscriptions;
  private readonly defs: ComponentDef[];
  private readonly writes: WriteBuffer;
  private readonly alerts: Alerts;
  private readonly states: ComponentStates;
  private readonly heartbeat: Heartbeat;
  private readonly monitor: Monitor;
  private readonly mailer: Mailer | null;
  private readonly source: ViewSource;
  private scheduler: Scheduler | null = null;
  private env: ProbeEnv | null = null;
  /** Where this node keeps uploads (set by `start`). */
  private blobs: BlobStore | null = null;
  private readonly shutdown = new AbortController();
  /** Local rounds run one at a time (scheduled and on-demand alike). */
  private rounds: Promise<unknown> = Promise.resolve();
  private lastPrune = 0;

  private constructor(
    private readonly config: Config,
    private readonly db: Db,
    private readonly log: Logger,
    pageId: string,
    secret: string,
  ) {
    this.defs = componentDefs(config);
    parseSlowMs(config.statusSlowMs); // a bad setting stops the start, not the first round
    this.writes = new WriteBuffer(db, log);
    this.mailer = Mailer.fromConfig(config);
    this.alerts = new Alerts({ config, db, log, writes: this.writes, mailer: this.mailer, secret });
    this.states = new ComponentStates(db);
    const alertView = () => this.alertView();
    this.book = new IncidentBook({
      db,
      writes: this.writes,
      alerts: this.alerts,
      alertView,
      componentName: (id) => this.defs.find((d) => d.id === id)?.name ?? id,
      componentStatus: (id) => this.states.status(id),
      successThreshold: config.statusSuccessThreshold,
    });
    this.heartbeat = new Heartbeat(
      { db, log, probeSeconds: config.statusProbeSeconds, afterBeat: () => this.alerts.refresh() },
      `http://${config.host}:${config.port}`,
    );
    this.subscriptions = new Subscriptions({ db, alerts: this.alerts, alertView, secret, emailEnabled: this.mailer !== null });
    this.monitor = new Monitor({
      db,
      log,
      config,
      defs: this.defs,
      states: this.states,
      book: this.book,
      alerts: this.alerts,
      alertView,
      heartbeat: this.heartbeat,
      writes: this.writes,
    });
    this.source = {
      db,
      log,
      defs: this.defs,
      pageId,
      title: config.statusTitle,
      writes: this.writes,
      memoryComponents: () => this.states.all(),
      openIncidents: () => this.book.open(),
    };
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
  private pageUrl(): string {
    return `${(this.config.publicUrl ?? this.heartbeat.baseUrl).replace(/\/+$/, '')}/status`;
  }

  /**
   * Re-reads component states (only `ids`: a node may probe some components while another node
   * probes the rest) and open incidents, as whichever node probes wrote them.
   */
  private async reload(ids: string[] = this.defs.map((d) => d.id)): Promise<void> {
    await this.states.reload(ids);
    // Incidents this process is still writing would be dropped by a reload; the next one catches up.
    if (this.writes.size === 0) await this.book.load();
  }

  private alertView(): AlertView {
    return memoryView(this.source, this.pageUrl());
  }

  view(pageUrl: string, opts: { history: boolean }): Promise<StatusView> {
    return buildView(this.source, pageUrl, opts);
  }

  components(raw: unknown): string[] | null {
    return pickComponents(this.defs, raw);
  }

  listNodes(): Promise<NodeRow[]> {
    return this.heartbeat.listNodes();
  }

  /** Starts probing on a timer (EARSHOT_STATUS_PROBE_SECONDS, EARSHOT_STATUS_UPSTREAM_SECONDS). `baseUrl` is this server's own address. */
  async start(targets: ProbeTargets, baseUrl: string): Promise<void> {
    this.heartbeat.baseUrl = baseUrl;
    const follow = (upstream: boolean) => () =>
      within(10_000, this.reload(this.defs.filter((d) => d.upstream === upstream).map((d) => d.id)), 'status reload');
    this.scheduler = new Scheduler(this.db, this.log);
    this.blobs = targets.blobs;
    // On local storage, the other nodes find this marker only if they read the same disk.
    if (!this.blobs.shared)
      await this.blobs
        .put(nodeMarkerKey(instanceId), [Buffer.from(`${os.hostname()} ${baseUrl}\n`)])
        .catch((err: unknown) => this.log.warn({ err }, 'status: node marker not written'));
    await this.heartbeat.start();
    if (this.config.statusProbeSeconds > 0) {
      const probe = await createProbeKey(this.db, instanceId);
      this.env = {
        ...targets,
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
        await this.heartbeat.beat(await checkSelf(env, this.shutdown.signal));
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
        () => this.monitor.upstreamRound(),
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
      const results = await this.monitor.localRound(env, this.shutdown.signal);
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
    this.heartbeat.stop();
    await this.scheduler?.stop();
    await this.rounds;
    await this.alerts.stop();
    await this.writes.flush();
    if (this.env)
      await revokeProbeKey(this.db, this.env.keyId).catch((err: unknown) => this.log.warn({ err }, 'status: probe key not revoked'));
    if (this.blobs && !this.blobs.shared) await this.blobs.delete(nodeMarkerKey(instanceId)).catch(() => undefined);
    if (this.scheduler) await this.heartbeat.leave();
    this.mailer?.close();
  }
}
