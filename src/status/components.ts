import type { Config } from '../config.js';
import { StatusError } from './errors.js';

export type LocalComponentId = 'transcription' | 'streaming' | 'lemur' | 'storage' | 'queue';

export interface ComponentDef {
  /** Stable id, used in URLs (`/status/badge/<id>.svg`) and in Statuspage JSON. */
  id: string;
  name: string;
  description: string;
  /** Upstream services sit in their own group and stay out of this server's own status. */
  upstream: boolean;
  /** Base URL of the upstream's Statuspage page. */
  url?: string;
}

export const LOCAL_COMPONENTS: (ComponentDef & { id: LocalComponentId })[] = [
  {
    id: 'transcription',
    name: 'Transcription',
    description: 'Batch transcription: upload, queue, speech engine and result, checked with a real job on a short clip.',
    upstream: false,
  },
  {
    id: 'streaming',
    name: 'Streaming',
    description: 'Live transcription over WebSocket (/v3/ws), checked with a real session.',
    upstream: false,
  },
  { id: 'lemur', name: 'LeMUR', description: 'The LLM behind LeMUR and the LLM Gateway, checked with a tiny generation.', upstream: false },
  {
    id: 'storage',
    name: 'Storage',
    description: 'The database, checked with a round trip, and the upload store, which every node of a fleet must read.',
    upstream: false,
  },
  { id: 'queue', name: 'Queue', description: 'The job queue: how many user jobs wait, and for how long.', upstream: false },
];

export const UPSTREAM_GROUP = {
  id: 'upstream',
  name: 'Upstream services',
  description: "Services this server's users may also depend on, as their own status pages report them.",
};

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '') || 'service';

/** `EARSHOT_STATUS_UPSTREAMS`: `Name=URL`, comma-separated. */
export function parseUpstreams(raw: string): ComponentDef[] {
  const out: ComponentDef[] = [];
  for (const part of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`EARSHOT_STATUS_UPSTREAMS: expected Name=URL, got "${part}"`);
    const name = part.slice(0, eq).trim();
    const url = part
      .slice(eq + 1)
      .trim()
      .replace(/\/+$/, '');
    if (!/^https?:\/\//.test(url)) throw new Error(`EARSHOT_STATUS_UPSTREAMS: "${url}" is not an http(s) URL`);
    const id = `upstream-${slug(name)}`;
    if (out.some((c) => c.id === id)) throw new Error(`EARSHOT_STATUS_UPSTREAMS: "${name}" is listed twice`);
    out.push({ id, name, url, upstream: true, description: `${name}'s own status page (${url}), polled by this server.` });
  }
  return out;
}

/** `EARSHOT_STATUS_SLOW_MS`: `component=ms`, comma-separated; components left out keep no latency limit. */
export function parseSlowMs(raw: string): Partial<Record<LocalComponentId, number>> {
  const out: Partial<Record<LocalComponentId, number>> = {};
  for (const part of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [id, ms] = part.split('=').map((s) => s.trim());
    if (!LOCAL_COMPONENTS.some((c) => c.id === id))
      throw new Error(`EARSHOT_STATUS_SLOW_MS: unknown component "${id}" (use ${LOCAL_COMPONENTS.map((c) => c.id).join(', ')})`);
    const n = Number(ms);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`EARSHOT_STATUS_SLOW_MS: "${part}" needs a positive number of milliseconds`);
    out[id as LocalComponentId] = n;
  }
  return out;
}

/** Every component this server shows, in page order. */
export function componentDefs(config: Pick<Config, 'statusUpstreams'>): ComponentDef[] {
  return [...LOCAL_COMPONENTS, ...parseUpstreams(config.statusUpstreams)];
}

/** The component ids a request names (a list, or comma-separated), checked; empty or absent: all (null). */
export function pickComponents(defs: readonly ComponentDef[], raw: unknown): string[] | null {
  if (raw === undefined || raw === null || raw === '') return null;
  const ids = (Array.isArray(raw) ? raw : String(raw).split(',')).map((s) => String(s).trim()).filter(Boolean);
  const unknown = ids.filter((id) => !defs.some((d) => d.id === id));
  if (unknown.length)
    throw new StatusError(
      'invalid',
      `unknown component${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}: use ${defs.map((d) => d.id).join(', ')}`,
    );
  return ids.length ? [...new Set(ids)] : null;
}
