import type { Queryable } from '../db/index.js';
import type { Logger } from '../log.js';
import type { ComponentDef } from './components.js';
import { within } from './deadline.js';
import { loadHistory, type ComponentHistory } from './history.js';
import { IMPACT_OF, INDICATOR_DESCRIPTION, worst, worstImpact, type ComponentStatus, type Indicator, type ProbeStatus } from './model.js';
import { loadComponents, type ComponentState } from './store/components.js';
import { inMaintenance, isOpen, listIncidents, type Incident } from './store/incidents.js';
import type { WriteBuffer } from './write-buffer.js';

export interface ComponentView {
  id: string;
  name: string;
  description: string;
  upstream: boolean;
  /** 1-based, page order. */
  position: number;
  /** As shown: the probed status, or `under_maintenance` during a maintenance that names it. */
  status: ComponentStatus;
  /** False: not probed yet, not set up here (no LLM), or an upstream never reached; left out of the JSON. */
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
  lastProbeAt: Date | null;
  lastLatencyMs: number | null;
  lastMessage: string | null;
  history: ComponentHistory | null;
}

export interface StatusView {
  generatedAt: Date;
  page: { id: string; name: string; url: string; updatedAt: Date };
  /** This server's own status: upstream services are left out. */
  indicator: Indicator;
  description: string;
  components: ComponentView[];
  /** Open incidents, newest first. */
  unresolved: Incident[];
  /** The 50 latest incidents. */
  incidents: Incident[];
  /** The 50 latest scheduled maintenances (by start). */
  maintenances: Incident[];
  /** False when the database could not be read: current status from this process's memory, no history. */
  live: boolean;
}

/** What a view is read from: the database, or this process's memory while the database is away. */
export interface ViewSource {
  db: Queryable;
  log: Logger;
  defs: readonly ComponentDef[];
  pageId: string;
  title: string;
  /** Writes held back during an outage: until they are in, the database is behind memory. */
  writes: Pick<WriteBuffer, 'flush' | 'size'>;
  /** The components' states and the open incidents as this process knows them. */
  memoryComponents: () => ComponentState[];
  openIncidents: () => Incident[];
}

/** Beyond this the page is built from memory: a silent database must not hang it. */
const DB_WAIT_MS = 3_000;

function componentView(
  def: ComponentDef,
  position: number,
  state: ComponentState | undefined,
  maintenances: Incident[],
  history: ComponentHistory | null,
  now: Date,
): ComponentView {
  const status: ComponentStatus = inMaintenance(maintenances, def.id) ? 'under_maintenance' : (state?.status ?? 'operational');
  return {
    id: def.id,
    name: def.name,
    description: def.description,
    upstream: def.upstream,
    position,
    status,
    active: state?.active ?? false,
    createdAt: state?.createdAt ?? now,
    updatedAt: state?.updatedAt ?? now,
    lastProbeAt: state?.lastProbeAt ?? null,
    lastLatencyMs: state?.lastLatencyMs ?? null,
    lastMessage: state?.lastMessage ?? null,
    history,
  };
}

/** Incidents that say something about this server itself (not only about upstream services). */
const aboutThisServer = (i: Incident, upstreamIds: Set<string>) =>
  i.components.length === 0 || i.components.some((c) => !upstreamIds.has(c));

function indicatorOf(
  components: ComponentView[],
  unresolved: Incident[],
  maintenances: Incident[],
): { indicator: Indicator; description: string } {
  const upstreamIds = new Set(components.filter((c) => c.upstream).map((c) => c.id));
  const local = components.filter((c) => !c.upstream && c.active && c.status !== 'under_maintenance').map((c) => c.status as ProbeStatus);
  const indicator = worstImpact([
    IMPACT_OF[worst(local)],
    ...unresolved.filter((i) => aboutThisServer(i, upstreamIds)).map((i) => (i.impact === 'maintenance' ? 'none' : i.impact)),
  ]);
  const maintaining = maintenances.some((m) => m.status === 'in_progress' || m.status === 'verifying');
  return { indicator, description: indicator === 'none' && maintaining ? 'Service Under Maintenance' : INDICATOR_DESCRIPTION[indicator] };
}

function assemble(
  src: ViewSource,
  pageUrl: string,
  states: ComponentState[],
  incidents: Incident[],
  maintenances: Incident[],
  history: Map<string, ComponentHistory> | null,
  live: boolean,
): StatusView {
  const now = new Date();
  const byId = new Map(states.map((s) => [s.id, s]));
  const components = src.defs.map((d, i) => componentView(d, i + 1, byId.get(d.id), maintenances, history?.get(d.id) ?? null, now));
  const unresolved = incidents.filter(isOpen);
  const updatedAt = new Date(Math.max(0, ...[...components, ...incidents, ...maintenances].map((x) => x.updatedAt.getTime())));
  return {
    generatedAt: now,
    page: { id: src.pageId, name: src.title, url: pageUrl, updatedAt },
    ...indicatorOf(components, unresolved, maintenances),
    components,
    unresolved,
    incidents,
    maintenances,
    live,
  };
}

/** What this process holds in memory: its latest probes and the incidents it knows are open. No history. */
export function memoryView(src: ViewSource, pageUrl: string): StatusView {
  const open = src.openIncidents();
  return assemble(
    src,
    pageUrl,
    src.memoryComponents(),
    open.filter((i) => i.kind === 'incident'),
    open.filter((i) => i.kind === 'maintenance'),
    null,
    false,
  );
}

/** Everything a page or JSON answer shows, read from the database; from memory while the database is down. */
export async function buildView(src: ViewSource, pageUrl: string, opts: { history: boolean }): Promise<StatusView> {
  try {
    // Writes held back during an outage go first; until they are in, the database is behind memory.
    await within(DB_WAIT_MS, src.writes.flush(), 'status writes');
    if (src.writes.size > 0) throw new Error(`${src.writes.size} status writes still waiting for the database`);
    const [states, incidents, maintenances, history] = await within(
      DB_WAIT_MS,
      Promise.all([
        loadComponents(src.db),
        listIncidents(src.db, { kind: 'incident', limit: 50 }),
        listIncidents(src.db, { kind: 'maintenance', limit: 50 }),
        opts.history
          ? loadHistory(
              src.db,
              src.defs.map((d) => d.id),
            )
          : null,
      ]),
      'status page',
    );
    // Open incidents older than the 50 latest still belong on the page.
    const older = src.openIncidents().filter((i) => i.kind === 'incident' && !incidents.some((j) => j.id === i.id));
    return assemble(src, pageUrl, states, [...incidents, ...older], maintenances, history, true);
  } catch (err) {
    src.log.warn({ err }, 'status: database unreachable; page built from memory');
    return memoryView(src, pageUrl);
  }
}
