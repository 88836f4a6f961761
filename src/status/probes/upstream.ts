import { IMPACTS, isProbeStatus, worst, STATUS_LABEL, type Indicator, type ProbeStatus } from '../model.js';
import type { ProbeResult } from './types.js';
import { reason } from './types.js';

interface Summary {
  status?: { indicator?: string; description?: string };
  components?: { name?: string; status?: string; group?: boolean }[];
  incidents?: { name?: string; status?: string }[];
}

const FROM_INDICATOR: Record<Indicator, ProbeStatus> = {
  none: 'operational',
  minor: 'degraded_performance',
  major: 'partial_outage',
  critical: 'major_outage',
};

/**
 * Reads a Statuspage page's `/api/v2/summary.json`: its worst component, or its own indicator if
 * that says worse. A page that cannot be read is `unknown`, not an outage: the upstream may be
 * fine and this machine offline (then the upstream is simply not shown).
 */
export async function probeUpstream(baseUrl: string, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  let body: Summary;
  try {
    const res = await fetch(`${baseUrl}/api/v2/summary.json`, {
      headers: { accept: 'application/json', 'user-agent': 'Earshot-Status/1.0' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) throw new Error(`answered ${res.status}`);
    body = (await res.json()) as Summary;
  } catch (err) {
    return { observed: 'unknown', latencyMs: null, message: `${baseUrl} could not be read: ${reason(err)}` };
  }
  const latencyMs = Math.round(performance.now() - started);
  const indicator = body.status?.indicator;
  if (!indicator || !(IMPACTS as string[]).includes(indicator))
    return { observed: 'unknown', latencyMs, message: `${baseUrl}/api/v2/summary.json is not a Statuspage summary` };
  const parts = (body.components ?? []).filter((c) => !c.group && isProbeStatus(c.status));
  const observed = worst([FROM_INDICATOR[indicator as Indicator], ...parts.map((c) => c.status as ProbeStatus)]);
  const notes = [
    body.status?.description ?? indicator,
    ...parts.filter((c) => c.status !== 'operational').map((c) => `${c.name}: ${STATUS_LABEL[c.status as ProbeStatus].toLowerCase()}`),
    ...(body.incidents ?? []).slice(0, 3).map((i) => `incident "${i.name}" (${i.status})`),
  ];
  return { observed, latencyMs, message: notes.join('; ') };
}
