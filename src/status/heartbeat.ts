import os from 'node:os';
import type { Db } from '../db/index.js';
import { instanceId, version } from '../instance.js';
import type { Logger } from '../log.js';
import { within } from './deadline.js';
import { heartbeat, leave, liveNodes, type NodeChecks, type NodeRow } from './store/nodes.js';

export interface HeartbeatDeps {
  db: Db;
  log: Logger;
  /** EARSHOT_STATUS_PROBE_SECONDS: a node beats as often, at most every 15 s. */
  probeSeconds: number;
  /** Run after each beat that reached the database (the alert recipients are reloaded with the nodes). */
  afterBeat: () => Promise<void>;
}

/**
 * This node's place in the fleet: it records itself as alive in the database and reads the other
 * live nodes, and from that list decides who speaks for the fleet while the database is away.
 */
export class Heartbeat {
  private readonly startedAt = new Date();
  /** The live nodes as the last beat found them (this one included). */
  private nodes: NodeRow[] = [];
  /** Whether the last beat reached the database. */
  private dbReached = true;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly deps: HeartbeatDeps,
    /** This server's own address, as the other nodes and the probes reach it. */
    public baseUrl: string,
  ) {}

  /** How often this node records itself as alive; it drops off the list after three missed beats. */
  private get seconds(): number {
    return Math.min(15, Math.max(1, this.deps.probeSeconds || 15));
  }

  /**
   * Records this node as alive (with its own checks, when given) and reloads the list of live nodes and
   * the alert recipients: whichever node leads a database outage alerts from the list it last read. Never throws.
   */
  async beat(checks?: NodeChecks): Promise<void> {
    const { db, log } = this.deps;
    try {
      await within(
        3_000,
        heartbeat(
          db,
          { instanceId, version, hostname: os.hostname(), baseUrl: this.baseUrl, startedAt: this.startedAt, checks },
          3 * this.seconds,
        ),
        'heartbeat',
      );
      this.nodes = await within(3_000, liveNodes(db), 'live nodes');
      this.dbReached = true;
      await this.deps.afterBeat();
    } catch (err) {
      if (this.dbReached) log.warn({ err }, 'status: heartbeat failed');
      this.dbReached = false;
    }
  }

  /** Beats now and then on a timer. */
  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat(), this.seconds * 1000);
    this.timer.unref();
  }

  /** Stops the timer; the node stays on the list until `leave`. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  leave(): Promise<void> {
    return leave(this.deps.db, instanceId).catch((err: unknown) => this.deps.log.warn({ err }, 'status: node not removed from the list'));
  }

  /** The fleet's live nodes, for operators (the last list seen while the database is away). */
  async listNodes(): Promise<NodeRow[]> {
    try {
      return await within(3_000, liveNodes(this.deps.db), 'live nodes');
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
}
