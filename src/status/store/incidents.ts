import type { Queryable } from '../../db/index.js';
import type { ComponentStatus, IncidentImpact, IncidentStatus, MaintenanceStatus } from '../model.js';

export interface AffectedComponent {
  code: string;
  name: string;
  old_status: ComponentStatus;
  new_status: ComponentStatus;
}

export interface IncidentUpdate {
  id: string;
  incidentId: string;
  status: IncidentStatus | MaintenanceStatus;
  body: string;
  affectedComponents: AffectedComponent[];
  createdAt: Date;
}

/** An incident or a scheduled maintenance (Statuspage models both the same way). */
export interface Incident {
  id: string;
  kind: 'incident' | 'maintenance';
  name: string;
  status: IncidentStatus | MaintenanceStatus;
  impact: IncidentImpact;
  /** Opened (and resolved) by the monitor on a component's status change. */
  auto: boolean;
  components: string[];
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date;
  monitoringAt: Date | null;
  resolvedAt: Date | null;
  scheduledFor: Date | null;
  scheduledUntil: Date | null;
  /** Newest first, as Statuspage lists them. */
  updates: IncidentUpdate[];
}

export const isOpen = (i: Incident): boolean => !['resolved', 'postmortem', 'completed'].includes(i.status);

/** A maintenance under way names the component. */
export const inMaintenance = (incidents: Iterable<Incident>, componentId: string): boolean => {
  for (const m of incidents)
    if (m.kind === 'maintenance' && (m.status === 'in_progress' || m.status === 'verifying') && m.components.includes(componentId))
      return true;
  return false;
};

interface IncidentRow {
  id: string;
  kind: Incident['kind'];
  name: string;
  status: Incident['status'];
  impact: IncidentImpact;
  auto: boolean;
  components: string[];
  created_at: Date;
  updated_at: Date;
  started_at: Date;
  monitoring_at: Date | null;
  resolved_at: Date | null;
  scheduled_for: Date | null;
  scheduled_until: Date | null;
}

interface UpdateRow {
  id: string;
  incident_id: string;
  status: IncidentUpdate['status'];
  body: string;
  affected_components: AffectedComponent[];
  created_at: Date;
}

const OPEN = "status not in ('resolved', 'postmortem', 'completed')";

/**
 * Inserts an incident with its updates. An automatic one is not inserted when its component already
 * has one open (the schema allows one per component): another node opened it first.
 */
export async function insertIncident(db: Queryable, i: Incident): Promise<boolean> {
  const { rows } = await db.query(
    `insert into status_incidents (id, kind, name, status, impact, auto, components, created_at, updated_at, started_at, monitoring_at, resolved_at, scheduled_for, scheduled_until, auto_component)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
     on conflict (auto_component) where auto_component is not null and ${OPEN} do nothing returning id`,
    [
      i.id,
      i.kind,
      i.name,
      i.status,
      i.impact,
      i.auto,
      JSON.stringify(i.components),
      i.createdAt,
      i.updatedAt,
      i.startedAt,
      i.monitoringAt,
      i.resolvedAt,
      i.scheduledFor,
      i.scheduledUntil,
      autoComponent(i),
    ],
  );
  if (rows.length === 0) return false;
  for (const u of [...i.updates].reverse()) await insertUpdate(db, u);
  return true;
}

const autoComponent = (i: Incident): string | null => (i.auto && i.kind === 'incident' ? (i.components[0] ?? null) : null);

/** Saves an incident's changing fields and its update `u` (nothing, if the incident was never stored). */
export async function saveIncident(db: Queryable, i: Incident, u: IncidentUpdate): Promise<void> {
  const { rows } = await db.query(
    `update status_incidents set name = $2, status = $3, impact = $4, components = $5, updated_at = $6, monitoring_at = $7, resolved_at = $8,
       scheduled_for = $9, scheduled_until = $10 where id = $1 returning id`,
    [
      i.id,
      i.name,
      i.status,
      i.impact,
      JSON.stringify(i.components),
      i.updatedAt,
      i.monitoringAt,
      i.resolvedAt,
      i.scheduledFor,
      i.scheduledUntil,
    ],
  );
  if (rows.length > 0) await insertUpdate(db, u);
}

/** The open automatic incident of a component, whichever node opened it. */
export async function openAutoIncident(db: Queryable, componentId: string): Promise<Incident | null> {
  const { rows } = await db.query<IncidentRow>(`select * from status_incidents where auto_component = $1 and ${OPEN}`, [componentId]);
  return (await withUpdates(db, rows))[0] ?? null;
}

async function insertUpdate(db: Queryable, u: IncidentUpdate): Promise<void> {
  await db.query(
    'insert into status_incident_updates (id, incident_id, status, body, affected_components, created_at) values ($1, $2, $3, $4, $5, $6)',
    [u.id, u.incidentId, u.status, u.body, JSON.stringify(u.affectedComponents), u.createdAt],
  );
}

export interface IncidentQuery {
  kind: Incident['kind'];
  /** Only those still open (incidents: not resolved; maintenances: not completed). */
  open?: boolean;
  /** Only those created (incidents) or scheduled to end (maintenances) after this. */
  since?: Date;
  /** Only those created before this (a month of the history). */
  createdBefore?: Date;
  /** Only those created at or after this. */
  createdFrom?: Date;
  limit: number;
}

export async function listIncidents(db: Queryable, q: IncidentQuery): Promise<Incident[]> {
  const where = ['kind = $1'];
  const params: unknown[] = [q.kind];
  if (q.open) where.push(OPEN);
  if (q.since) {
    params.push(q.since);
    where.push(`coalesce(scheduled_until, created_at) >= $${params.length}`);
  }
  if (q.createdFrom) {
    params.push(q.createdFrom);
    where.push(`created_at >= $${params.length}`);
  }
  if (q.createdBefore) {
    params.push(q.createdBefore);
    where.push(`created_at < $${params.length}`);
  }
  params.push(q.limit);
  const order = q.kind === 'maintenance' ? 'scheduled_for desc, created_at desc' : 'created_at desc';
  const { rows } = await db.query<IncidentRow>(
    `select * from status_incidents where ${where.join(' and ')} order by ${order}, id limit $${params.length}`,
    params,
  );
  return withUpdates(db, rows);
}

export async function getIncident(db: Queryable, id: string): Promise<Incident | null> {
  const { rows } = await db.query<IncidentRow>('select * from status_incidents where id = $1', [id]);
  return (await withUpdates(db, rows))[0] ?? null;
}

async function withUpdates(db: Queryable, rows: IncidentRow[]): Promise<Incident[]> {
  if (rows.length === 0) return [];
  const { rows: updates } = await db.query<UpdateRow>(
    'select * from status_incident_updates where incident_id = any($1::text[]) order by created_at desc, id desc',
    [rows.map((r) => r.id)],
  );
  const byIncident = new Map<string, IncidentUpdate[]>();
  for (const u of updates) {
    const list = byIncident.get(u.incident_id) ?? [];
    list.push({
      id: u.id,
      incidentId: u.incident_id,
      status: u.status,
      body: u.body,
      affectedComponents: u.affected_components,
      createdAt: u.created_at,
    });
    byIncident.set(u.incident_id, list);
  }
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    name: r.name,
    status: r.status,
    impact: r.impact,
    auto: r.auto,
    components: r.components,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    startedAt: r.started_at,
    monitoringAt: r.monitoring_at,
    resolvedAt: r.resolved_at,
    scheduledFor: r.scheduled_for,
    scheduledUntil: r.scheduled_until,
    updates: byIncident.get(r.id) ?? [],
  }));
}
