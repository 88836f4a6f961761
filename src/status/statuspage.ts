import { UPSTREAM_GROUP } from './components.js';
import type { Incident } from './store/incidents.js';
import type { ComponentView, StatusView } from './view.js';

/**
 * Statuspage's public API (v2) shapes, as every Statuspage page documents them at /api:
 * page, status, components (with groups), incidents with incident_updates, scheduled maintenances.
 */

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function pageJson(view: StatusView) {
  return { id: view.page.id, name: view.page.name, url: view.page.url, time_zone: 'Etc/UTC', updated_at: iso(view.page.updatedAt) };
}

export function statusJson(view: StatusView) {
  return { indicator: view.indicator, description: view.description };
}

function componentJson(c: ComponentView, pageId: string, groupId: string | null) {
  return {
    id: c.id,
    name: c.name,
    status: c.status,
    created_at: iso(c.createdAt),
    updated_at: iso(c.updatedAt),
    position: c.position,
    description: c.description,
    showcase: true,
    start_date: c.createdAt.toISOString().slice(0, 10),
    group_id: groupId,
    page_id: pageId,
    group: false,
    only_show_if_degraded: false,
  };
}

/** Local components, then upstream services under one group component (as Statuspage nests groups). */
export function componentsJson(view: StatusView) {
  const shown = view.components.filter((c) => c.active);
  const local = shown.filter((c) => !c.upstream).map((c) => componentJson(c, view.page.id, null));
  const upstream = shown.filter((c) => c.upstream);
  if (upstream.length === 0) return local;
  const first = upstream.reduce((a, b) => (a.createdAt < b.createdAt ? a : b));
  const group = {
    ...componentJson(
      {
        ...first,
        id: UPSTREAM_GROUP.id,
        name: UPSTREAM_GROUP.name,
        description: UPSTREAM_GROUP.description,
        position: Math.min(...upstream.map((c) => c.position)),
      },
      view.page.id,
      null,
    ),
    status: worstShown(upstream),
    updated_at: iso(new Date(Math.max(...upstream.map((c) => c.updatedAt.getTime())))),
    group: true,
    components: upstream.map((c) => c.id),
  };
  return [...local, group, ...upstream.map((c) => componentJson(c, view.page.id, UPSTREAM_GROUP.id))];
}

const ORDER = ['operational', 'under_maintenance', 'degraded_performance', 'partial_outage', 'major_outage'];
const worstShown = (cs: ComponentView[]) => cs.map((c) => c.status).reduce((a, b) => (ORDER.indexOf(b) > ORDER.indexOf(a) ? b : a));

export function incidentJson(i: Incident, view: Pick<StatusView, 'page' | 'components'>) {
  const shortlink = `${view.page.url}/incidents/${i.id}`;
  const components = view.components
    .filter((c) => i.components.includes(c.id))
    .map((c) => componentJson(c, view.page.id, c.upstream ? UPSTREAM_GROUP.id : null));
  return {
    id: i.id,
    name: i.name,
    status: i.status,
    created_at: iso(i.createdAt),
    updated_at: iso(i.updatedAt),
    monitoring_at: iso(i.monitoringAt),
    resolved_at: iso(i.resolvedAt),
    impact: i.impact,
    shortlink,
    started_at: iso(i.startedAt),
    page_id: view.page.id,
    incident_updates: i.updates.map((u) => ({
      id: u.id,
      status: u.status,
      body: u.body,
      incident_id: i.id,
      created_at: iso(u.createdAt),
      updated_at: iso(u.createdAt),
      display_at: iso(u.createdAt),
      affected_components: u.affectedComponents,
      deliver_notifications: true,
      custom_tweet: null,
      tweet_id: null,
    })),
    components,
    ...(i.kind === 'maintenance' && { scheduled_for: iso(i.scheduledFor), scheduled_until: iso(i.scheduledUntil) }),
  };
}

const isUpcoming = (m: Incident) => m.status === 'scheduled';
const isActive = (m: Incident) => m.status === 'in_progress' || m.status === 'verifying';

export function summaryJson(view: StatusView) {
  return {
    page: pageJson(view),
    components: componentsJson(view),
    incidents: view.unresolved.map((i) => incidentJson(i, view)),
    scheduled_maintenances: view.maintenances.filter((m) => isUpcoming(m) || isActive(m)).map((m) => incidentJson(m, view)),
    status: statusJson(view),
  };
}

export type MaintenanceFilter = 'all' | 'upcoming' | 'active';

export function maintenancesJson(view: StatusView, filter: MaintenanceFilter) {
  const pick = filter === 'upcoming' ? isUpcoming : filter === 'active' ? isActive : () => true;
  return { page: pageJson(view), scheduled_maintenances: view.maintenances.filter(pick).map((m) => incidentJson(m, view)) };
}
