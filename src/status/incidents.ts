import type { Queryable } from '../db/index.js';
import type { Alerts } from './alerts/dispatcher.js';
import type { AlertView } from './alerts/messages.js';
import { StatusError } from './errors.js';
import { newId } from './ids.js';
import {
  IMPACT_OF,
  STATUS_LABEL,
  worstImpact,
  type ComponentStatus,
  type IncidentImpact,
  type IncidentStatus,
  type MaintenanceStatus,
  type ProbeStatus,
} from './model.js';
import { within } from './deadline.js';
import {
  getIncident,
  inMaintenance,
  insertIncident,
  isOpen,
  listIncidents,
  openAutoIncident,
  saveIncident,
  type AffectedComponent,
  type Incident,
  type IncidentUpdate,
} from './store/incidents.js';
import type { WriteBuffer } from './write-buffer.js';

export interface BookDeps {
  db: Queryable;
  writes: WriteBuffer;
  alerts: Alerts;
  /** The page as alerts show it, from memory (alerts go out while the database is down too). */
  alertView(): AlertView;
  componentName(id: string): string;
  /** The probed status of a component, from memory. */
  componentStatus(id: string): ProbeStatus;
  successThreshold: number;
}

export interface IncidentInput {
  name: string;
  body: string;
  status?: IncidentStatus;
  impact?: Exclude<IncidentImpact, 'maintenance'>;
  components?: string[];
}

export interface MaintenanceInput {
  name: string;
  body?: string;
  scheduledFor: Date;
  scheduledUntil: Date;
  components?: string[];
}

export interface UpdateInput {
  body: string;
  status?: IncidentStatus | MaintenanceStatus;
  name?: string;
  impact?: Exclude<IncidentImpact, 'maintenance'>;
}

/**
 * Incidents and scheduled maintenances: opened and resolved automatically on component status
 * changes, or written by operators. Open ones are mirrored in memory so that incidents still open,
 * update and alert while the database is down; their writes are replayed once it is back.
 */
export class IncidentBook {
  private readonly openById = new Map<string, Incident>();

  constructor(private readonly deps: BookDeps) {}

  /** Reloads the open incidents and maintenances (another node of a fleet may have changed them). */
  async load(): Promise<void> {
    const [incidents, maintenances] = await Promise.all([
      listIncidents(this.deps.db, { kind: 'incident', open: true, limit: 1000 }),
      listIncidents(this.deps.db, { kind: 'maintenance', open: true, limit: 1000 }),
    ]);
    this.openById.clear();
    for (const i of [...incidents, ...maintenances]) this.openById.set(i.id, i);
  }

  open(): Incident[] {
    return [...this.openById.values()].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  }

  inMaintenance(componentId: string): boolean {
    return inMaintenance(this.openById.values(), componentId);
  }

  private affected(ids: string[], from: (id: string) => ComponentStatus, to: (id: string) => ComponentStatus): AffectedComponent[] {
    return ids.map((id) => ({ code: id, name: this.deps.componentName(id), old_status: from(id), new_status: to(id) }));
  }

  /** Records a new update on `incident` (already changed by the caller), mirrors, persists and alerts it. */
  private async commit(incident: Incident, update: Omit<IncidentUpdate, 'id' | 'incidentId'>, created: boolean): Promise<Incident> {
    const u: IncidentUpdate = { ...update, id: newId(), incidentId: incident.id };
    incident.updates = [u, ...incident.updates];
    incident.updatedAt = u.createdAt;
    if (isOpen(incident)) this.openById.set(incident.id, incident);
    else this.openById.delete(incident.id);
    const copy = { ...incident, updates: [...incident.updates] };
    void this.deps.writes.write(created ? 'incident' : 'incident update', (db) =>
      created ? insertIncident(db, copy).then(() => undefined) : saveIncident(db, copy, u),
    );
    await this.deps.alerts.incident(this.deps.alertView(), incident, u);
    return incident;
  }

  private newIncident(
    kind: Incident['kind'],
    name: string,
    status: Incident['status'],
    impact: IncidentImpact,
    components: string[],
    at: Date,
    auto: boolean,
  ): Incident {
    return {
      id: newId(),
      kind,
      name,
      status,
      impact,
      auto,
      components,
      createdAt: at,
      updatedAt: at,
      startedAt: at,
      monitoringAt: null,
      resolvedAt: null,
      scheduledFor: null,
      scheduledUntil: null,
      updates: [],
    };
  }

  private openAutoFor(componentId: string): Incident | undefined {
    return this.open().find((i) => i.kind === 'incident' && i.auto && i.components.includes(componentId));
  }

  /**
   * The component's open automatic incident as the fleet has it, whichever node opened it (or
   * resolved it meanwhile); from memory while the database is away (`shared` false: the status was
   * weighed without it).
   */
  private async currentAuto(componentId: string, shared: boolean): Promise<Incident | undefined> {
    if (!shared) return this.openAutoFor(componentId);
    let stored: Incident | null;
    try {
      stored = await within(3_000, openAutoIncident(this.deps.db, componentId), 'open incident');
    } catch {
      return this.openAutoFor(componentId);
    }
    const mine = this.openAutoFor(componentId);
    if (mine && mine.id !== stored?.id) this.openById.delete(mine.id);
    if (!stored) return undefined;
    const current = this.openById.get(stored.id) ?? stored;
    this.openById.set(current.id, current);
    return current;
  }

  /** A component's status changed (hysteresis passed): open, update or resolve its automatic incident. */
  async onTransition(
    componentId: string,
    from: ProbeStatus,
    to: ProbeStatus,
    message: string | null,
    at: Date,
    shared = true,
  ): Promise<void> {
    const name = this.deps.componentName(componentId);
    const affected = this.affected(
      [componentId],
      () => from,
      () => to,
    );
    const detail = message ? `: ${message}` : '.';
    const current = await this.currentAuto(componentId, shared);
    if (to === 'operational') {
      if (!current) return;
      current.status = 'resolved';
      current.resolvedAt = at;
      await this.commit(
        current,
        {
          status: 'resolved',
          body: `${name} is operational again: ${this.deps.successThreshold} checks in a row passed.`,
          affectedComponents: affected,
          createdAt: at,
        },
        false,
      );
      return;
    }
    if (!current) {
      const incident = this.newIncident(
        'incident',
        `${name}: ${STATUS_LABEL[to].toLowerCase()}`,
        'investigating',
        IMPACT_OF[to],
        [componentId],
        at,
        true,
      );
      await this.commit(
        incident,
        {
          status: 'investigating',
          body: `Automatic checks find ${name} in ${STATUS_LABEL[to].toLowerCase()}${detail}`,
          affectedComponents: affected,
          createdAt: at,
        },
        true,
      );
      return;
    }
    current.impact = worstImpact([current.impact as Exclude<IncidentImpact, 'maintenance'>, IMPACT_OF[to]]);
    await this.commit(
      current,
      { status: current.status, body: `Now ${STATUS_LABEL[to].toLowerCase()}${detail}`, affectedComponents: affected, createdAt: at },
      false,
    );
  }

  async create(input: IncidentInput, at = new Date()): Promise<Incident> {
    const status = input.status ?? 'investigating';
    const incident = this.newIncident('incident', input.name, status, input.impact ?? 'minor', input.components ?? [], at, false);
    if (status === 'monitoring') incident.monitoringAt = at;
    if (status === 'resolved' || status === 'postmortem') incident.resolvedAt = at;
    const same = (id: string) => this.deps.componentStatus(id);
    return this.commit(
      incident,
      { status, body: input.body, affectedComponents: this.affected(incident.components, same, same), createdAt: at },
      true,
    );
  }

  async createMaintenance(input: MaintenanceInput, at = new Date()): Promise<Incident> {
    if (!(input.scheduledUntil > input.scheduledFor)) throw new StatusError('invalid', 'scheduled_until must be after scheduled_for');
    const started = input.scheduledFor <= at;
    const m = this.newIncident(
      'maintenance',
      input.name,
      started ? 'in_progress' : 'scheduled',
      'maintenance',
      input.components ?? [],
      at,
      false,
    );
    m.scheduledFor = input.scheduledFor;
    m.scheduledUntil = input.scheduledUntil;
    if (started) m.startedAt = at;
    const now = (id: string) => this.deps.componentStatus(id);
    return this.commit(
      m,
      {
        status: m.status,
        body: input.body ?? 'Scheduled maintenance.',
        affectedComponents: this.affected(m.components, now, started ? () => 'under_maintenance' : now),
        createdAt: at,
      },
      true,
    );
  }

  async update(id: string, input: UpdateInput, at = new Date()): Promise<Incident> {
    const incident = this.openById.get(id) ?? (await getIncident(this.deps.db, id));
    if (!incident) throw new StatusError('not_found', `no incident or maintenance ${id}`);
    const status = input.status ?? incident.status;
    const valid: string[] =
      incident.kind === 'maintenance'
        ? ['scheduled', 'in_progress', 'verifying', 'completed']
        : ['investigating', 'identified', 'monitoring', 'resolved', 'postmortem'];
    if (!valid.includes(status))
      throw new StatusError(
        'invalid',
        `status of ${incident.kind === 'maintenance' ? 'a maintenance' : 'an incident'} must be one of ${valid.join(', ')}`,
      );
    const before = incident.status;
    incident.status = status;
    if (input.name) incident.name = input.name;
    if (input.impact && incident.kind === 'incident') incident.impact = input.impact;
    if (status === 'monitoring' && !incident.monitoringAt) incident.monitoringAt = at;
    if (['resolved', 'postmortem', 'completed'].includes(status) && !incident.resolvedAt) incident.resolvedAt = at;
    const probed = (cid: string) => this.deps.componentStatus(cid);
    const maint = (s: string): ((cid: string) => ComponentStatus) =>
      s === 'in_progress' || s === 'verifying' ? () => 'under_maintenance' : probed;
    const affected =
      incident.kind === 'maintenance'
        ? this.affected(incident.components, maint(before), maint(status))
        : this.affected(incident.components, probed, probed);
    return this.commit(incident, { status, body: input.body, affectedComponents: affected, createdAt: at }, false);
  }

  /** Starts maintenances whose time has come and completes those whose time is up. Returns the components whose maintenance ended. */
  async advanceMaintenances(at = new Date()): Promise<string[]> {
    const ended: string[] = [];
    for (const m of this.open().filter((i) => i.kind === 'maintenance')) {
      if (m.status === 'scheduled' && m.scheduledFor && m.scheduledFor <= at) {
        await this.update(m.id, { status: 'in_progress', body: 'Scheduled maintenance is in progress.' }, at);
      } else if ((m.status === 'in_progress' || m.status === 'verifying') && m.scheduledUntil && m.scheduledUntil <= at) {
        await this.update(m.id, { status: 'completed', body: 'Scheduled maintenance has been completed.' }, at);
        ended.push(...m.components);
      }
    }
    return ended;
  }
}
