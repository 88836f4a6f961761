/**
 * The status vocabulary of Atlassian Statuspage, which Earshot's status page speaks so that existing
 * Statuspage clients and aggregators read it unchanged.
 */

/** Statuspage's component statuses, best first. `under_maintenance` is only ever shown, never probed. */
export type ComponentStatus = 'operational' | 'degraded_performance' | 'partial_outage' | 'major_outage' | 'under_maintenance';

/** What can be measured: a status, or nothing usable (`unknown`: no answer worth judging; `inactive`: not set up here). */
export type ProbeStatus = Exclude<ComponentStatus, 'under_maintenance'>;
export type Observed = ProbeStatus | 'unknown' | 'inactive';

export type Indicator = 'none' | 'minor' | 'major' | 'critical';
export type IncidentImpact = Indicator | 'maintenance';
export type IncidentStatus = 'investigating' | 'identified' | 'monitoring' | 'resolved' | 'postmortem';
export type MaintenanceStatus = 'scheduled' | 'in_progress' | 'verifying' | 'completed';

export const INCIDENT_STATUSES: IncidentStatus[] = ['investigating', 'identified', 'monitoring', 'resolved', 'postmortem'];
export const MAINTENANCE_STATUSES: MaintenanceStatus[] = ['scheduled', 'in_progress', 'verifying', 'completed'];
export const IMPACTS: Indicator[] = ['none', 'minor', 'major', 'critical'];

const SEVERITY: Record<ProbeStatus, number> = { operational: 0, degraded_performance: 1, partial_outage: 2, major_outage: 3 };

export const severity = (s: ProbeStatus): number => SEVERITY[s];

export function worst(statuses: Iterable<ProbeStatus>): ProbeStatus {
  let out: ProbeStatus = 'operational';
  for (const s of statuses) if (SEVERITY[s] > SEVERITY[out]) out = s;
  return out;
}

export const isProbeStatus = (s: unknown): s is ProbeStatus => typeof s === 'string' && s in SEVERITY;

/** The incident impact (and page indicator) a component status amounts to. */
export const IMPACT_OF: Record<ProbeStatus, Indicator> = {
  operational: 'none',
  degraded_performance: 'minor',
  partial_outage: 'major',
  major_outage: 'critical',
};

export const worstImpact = (impacts: Iterable<Indicator>): Indicator => {
  let out: Indicator = 'none';
  for (const i of impacts) if (IMPACTS.indexOf(i) > IMPACTS.indexOf(out)) out = i;
  return out;
};

/** Human words, as Statuspage pages print them. */
export const STATUS_LABEL: Record<ComponentStatus, string> = {
  operational: 'Operational',
  degraded_performance: 'Degraded performance',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
  under_maintenance: 'Under maintenance',
};

/** `status.json`'s description of each indicator (Statuspage's own wording). */
export const INDICATOR_DESCRIPTION: Record<Indicator, string> = {
  none: 'All Systems Operational',
  minor: 'Minor Service Outage',
  major: 'Partial System Outage',
  critical: 'Major System Outage',
};
