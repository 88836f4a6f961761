import type { Command } from 'commander';
import { addClientOptions, clientFrom, examples } from './options.js';

interface ComponentRow {
  id: string;
  name: string;
  upstream: boolean;
  active: boolean;
  status: string;
  last_probe_at: string | null;
  last_latency_ms: number | null;
  last_message: string | null;
  uptime: Record<'24h' | '7d' | '30d' | '90d', number | null> | null;
}

interface IncidentJson {
  id: string;
  name: string;
  status: string;
  impact: string;
  created_at: string;
  resolved_at: string | null;
  scheduled_for?: string | null;
  incident_updates: { status: string; body: string; created_at: string }[];
}

async function call<T>(opts: Record<string, unknown>, method: string, path: string, body?: unknown): Promise<T> {
  const { server: url, apiKey: key } = clientFrom(opts);
  if (method !== 'GET' && !key) throw new Error('an API key of the server\'s "default" project is needed: --api-key or EARSHOT_API_KEY');
  let res: Response;
  try {
    res = await fetch(`${url}${path}`, {
      method,
      headers: { ...(key && { authorization: key }), ...(body !== undefined && { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    const cause = ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
    throw new Error(`cannot reach Earshot at ${url} (${cause}); is \`earshot serve\` running? (--server sets the URL)`);
  }
  const json = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (!res.ok) throw new Error(`${res.status}: ${json.error ?? res.statusText}`);
  return json;
}

const pct = (u: number | null | undefined) =>
  u === null || u === undefined ? '     –' : `${(Math.floor(u * 10_000) / 100).toFixed(2).padStart(6)}%`;
const words = (s: string) => s.replace(/_/g, ' ');
const time = (iso: string) => iso.slice(0, 16).replace('T', ' ');
const list = (v: unknown) =>
  typeof v === 'string'
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;

function printComponents(rows: ComponentRow[]): string {
  const width = Math.max(...rows.map((c) => c.name.length));
  return rows
    .map((c) => {
      if (!c.active)
        return `  ${c.name.padEnd(width)}  ${!c.last_probe_at ? 'not checked yet' : c.upstream ? 'not reached' : 'not configured'}`;
      const up = c.uptime
        ? `24h ${pct(c.uptime['24h'])}  7d ${pct(c.uptime['7d'])}  30d ${pct(c.uptime['30d'])}  90d ${pct(c.uptime['90d'])}`
        : '';
      const last = c.last_probe_at ? `\n  ${' '.repeat(width)}  checked ${time(c.last_probe_at)} UTC: ${c.last_message ?? ''}` : '';
      return `  ${c.name.padEnd(width)}  ${words(c.status).padEnd(20)}  ${up}${last}`;
    })
    .join('\n');
}

function printIncident(i: IncidentJson): string {
  const latest = i.incident_updates[0];
  return `  [${i.impact}] ${i.name} (${words(i.status)}, ${time(i.scheduled_for ?? i.created_at)} UTC, id ${i.id})${latest ? `\n      ${latest.body}` : ''}`;
}

/** `earshot status`: the status page on the terminal, and its operator commands, over a running server's API. */
export function registerStatus(program: Command): void {
  const status = program
    .command('status')
    .description('Current status of a running Earshot server (components, uptime, incidents); subcommands change it')
    .option('--json', "print the server's /api/v2/summary.json");
  addClientOptions(status);
  examples(
    status,
    'earshot status',
    'earshot status --server https://stt.example.com --json',
    'earshot status incident open --name "Slow exports" --message "Looking into it" --components transcription',
    'earshot status maintenance --name "DB upgrade" --from 2025-07-01T22:00Z --until 2025-07-01T23:00Z',
  );
  status.action(async (opts: Record<string, unknown>) => {
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(await call(opts, 'GET', '/api/v2/summary.json'), null, 2)}\n`);
      return;
    }
    const [history, incidents, maintenances] = await Promise.all([
      call<{ page: { name: string; url: string }; status: { description: string }; live: boolean; components: ComponentRow[] }>(
        opts,
        'GET',
        '/status/history.json',
      ),
      call<{ incidents: IncidentJson[] }>(opts, 'GET', '/api/v2/incidents.json'),
      call<{ scheduled_maintenances: IncidentJson[] }>(opts, 'GET', '/api/v2/scheduled-maintenances/upcoming.json'),
    ]);
    const out = [`${history.page.name}: ${history.status.description}  (${history.page.url})`];
    if (!history.live) out.push('(the server cannot reach its database: latest probes only, no history)');
    out.push('', printComponents(history.components.filter((c) => !c.upstream)));
    const upstream = history.components.filter((c) => c.upstream);
    if (upstream.length) out.push('', 'Upstream services', printComponents(upstream));
    const open = incidents.incidents.filter((i) => !i.resolved_at);
    if (open.length) out.push('', 'Unresolved incidents', ...open.map(printIncident));
    if (maintenances.scheduled_maintenances.length)
      out.push('', 'Scheduled maintenance', ...maintenances.scheduled_maintenances.map(printIncident));
    const recent = incidents.incidents.filter((i) => i.resolved_at).slice(0, 5);
    if (recent.length) out.push('', 'Recent incidents', ...recent.map(printIncident));
    process.stdout.write(`${out.join('\n')}\n`);
  });

  const sub = (name: string, description: string, ...example: string[]) =>
    examples(addClientOptions(status.command(name).description(description)), ...example);

  sub(
    'probe',
    'Probe every component now and print what each probe found',
    'earshot status probe',
    'earshot status probe --server https://stt.example.com --api-key $EARSHOT_API_KEY',
  ).action(async (opts: Record<string, unknown>) => {
    const { results } = await call<{ results: Record<string, { observed: string; latencyMs: number | null; message: string | null }> }>(
      opts,
      'POST',
      '/status/probe',
    );
    for (const [id, r] of Object.entries(results))
      process.stdout.write(`${id.padEnd(14)} ${words(r.observed).padEnd(20)} ${r.latencyMs ?? '–'} ms  ${r.message ?? ''}\n`);
  });

  const incident = status.command('incident').description('Write incidents on the status page (keys of the "default" project)');
  const incidentExamples = {
    open: 'earshot status incident open --name "Slow exports" --message "Looking into it" --impact minor --components transcription',
    update: 'earshot status incident update ID --status monitoring --message "Fix deployed"',
    resolve: 'earshot status incident resolve ID',
  };
  examples(incident, ...Object.values(incidentExamples));
  examples(
    addClientOptions(
      incident
        .command('open')
        .description('Open an incident')
        .requiredOption('--name <text>', 'title')
        .requiredOption('--message <text>', 'first update')
        .option('--impact <level>', 'none, minor, major or critical', 'minor')
        .option('--status <status>', 'investigating, identified or monitoring', 'investigating')
        .option('--components <ids>', 'affected component ids, comma-separated'),
    ),
    incidentExamples.open,
  ).action(async (opts: Record<string, unknown>) => {
    const i = await call<IncidentJson>(opts, 'POST', '/status/incidents', {
      name: opts.name,
      message: opts.message,
      impact: opts.impact,
      status: opts.status,
      components: list(opts.components),
    });
    process.stdout.write(`${i.id}\n`);
  });
  for (const [name, fixed] of [
    ['update', undefined],
    ['resolve', 'resolved'],
  ] as const) {
    examples(
      addClientOptions(
        incident
          .command(name)
          .description(fixed ? 'Resolve an incident' : 'Post an update on an incident or maintenance')
          .argument('<id>')
          .option('--message <text>', 'the update', fixed ? 'This incident has been resolved.' : undefined)
          .option(
            '--status <status>',
            'new status (investigating, identified, monitoring, resolved; for maintenance: in_progress, verifying, completed)',
          ),
      ),
      incidentExamples[name],
    ).action(async (id: string, opts: Record<string, unknown>) => {
      if (!opts.message) throw new Error('--message is required');
      const i = await call<IncidentJson>(opts, 'POST', `/status/incidents/${encodeURIComponent(id)}/updates`, {
        message: opts.message,
        status: fixed ?? opts.status,
      });
      process.stdout.write(`${i.id} ${words(i.status)}\n`);
    });
  }

  sub(
    'maintenance',
    'Schedule maintenance (its components show "under maintenance" and open no incidents meanwhile)',
    'earshot status maintenance --name "DB upgrade" --from 2025-07-01T22:00Z --until 2025-07-01T23:00Z --components storage,queue',
  )
    .requiredOption('--name <text>', 'title')
    .requiredOption('--from <time>', 'start, ISO 8601 (e.g. 2025-06-01T22:00Z)')
    .requiredOption('--until <time>', 'end, ISO 8601')
    .option('--message <text>', 'what will happen')
    .option('--components <ids>', 'component ids, comma-separated')
    .action(async (opts: Record<string, unknown>) => {
      const m = await call<IncidentJson>(opts, 'POST', '/status/maintenances', {
        name: opts.name,
        message: opts.message,
        scheduled_for: opts.from,
        scheduled_until: opts.until,
        components: list(opts.components),
      });
      process.stdout.write(`${m.id} ${words(m.status)}\n`);
    });

  sub(
    'alerts',
    'The alert send log: every try of every email and webhook, newest first',
    'earshot status alerts',
    'earshot status alerts --server https://stt.example.com | grep FAILED',
  ).action(async (opts: Record<string, unknown>) => {
    const { alerts } = await call<{
      alerts: { at: string; kind: string; target: string; subject: string; attempt: number; ok: boolean; error: string | null }[];
    }>(opts, 'GET', '/status/alerts');
    for (const a of alerts)
      process.stdout.write(
        `${time(a.at)}  ${a.ok ? 'sent  ' : 'FAILED'}  try ${a.attempt}  ${a.kind} ${a.target}  ${a.subject}${a.error ? `  (${a.error})` : ''}\n`,
      );
  });
}
