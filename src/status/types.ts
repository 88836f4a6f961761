import type { IncidentBook } from './incidents.js';
import type { ProbeResult, ProbeTargets } from './probes/types.js';
import type { NodeRow } from './store/nodes.js';
import type { Subscriptions } from './subscriptions.js';
import type { StatusView } from './view.js';

/** The status page as the routes and the server use it (service.ts builds it). */
export interface StatusPage {
  readonly instanceId: string;
  readonly emailEnabled: boolean;
  /** False when this process does not probe (EARSHOT_STATUS_PROBE_SECONDS=0). */
  readonly probing: boolean;
  /** Operators' incidents and maintenances. */
  readonly book: Pick<IncidentBook, 'create' | 'update' | 'createMaintenance'>;
  readonly subscriptions: Subscriptions;
  /** Everything a page or JSON answer shows, from the database; from memory while it is away. */
  view(pageUrl: string, opts: { history: boolean }): Promise<StatusView>;
  /** The component ids a request names, checked; null for all. */
  components(raw: unknown): string[] | null;
  /** The fleet's live nodes. */
  listNodes(): Promise<NodeRow[]>;
  /** Probes every local component now (after any round under way). */
  probeNow(): Promise<Record<string, ProbeResult>>;
  /** Starts the heartbeat and the probe rounds; `baseUrl` is this server's own address. */
  start(targets: ProbeTargets, baseUrl: string): Promise<void>;
  stop(): Promise<void>;
}
