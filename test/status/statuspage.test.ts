import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ajv07 } from '../helpers/ajv.js';
import { api, startServer, type TestServer } from '../helpers/server.js';
import { fastStatusEnv, getJson, operator, waitFor, waitForComponent } from './helpers.js';

/**
 * The shapes Statuspage documents for its public API v2 on every page's /api (for instance
 * https://www.githubstatus.com/api and https://metastatuspage.com/api): summary, status, components,
 * incidents, incidents/unresolved, scheduled-maintenances (and /upcoming, /active). Closed objects,
 * so nothing Earshot-only leaks into what Statuspage clients read.
 */
const dateTime = { type: 'string', format: 'date-time' };
const nullableDateTime = { anyOf: [{ type: 'null' }, dateTime] };
const COMPONENT_STATUS = ['operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance'];

const schemas = {
  page: {
    $id: 'page',
    type: 'object',
    required: ['id', 'name', 'url', 'time_zone', 'updated_at'],
    additionalProperties: false,
    properties: {
      id: { type: 'string' },
      name: { type: 'string' },
      url: { type: 'string', format: 'uri' },
      time_zone: { type: 'string' },
      updated_at: dateTime,
    },
  },
  status: {
    $id: 'status',
    type: 'object',
    required: ['indicator', 'description'],
    additionalProperties: false,
    properties: { indicator: { enum: ['none', 'minor', 'major', 'critical'] }, description: { type: 'string' } },
  },
  component: {
    $id: 'component',
    type: 'object',
    required: [
      'id',
      'name',
      'status',
      'created_at',
      'updated_at',
      'position',
      'description',
      'showcase',
      'start_date',
      'group_id',
      'page_id',
      'group',
      'only_show_if_degraded',
    ],
    additionalProperties: false,
    properties: {
      id: { type: 'string' },
      name: { type: 'string' },
      status: { enum: COMPONENT_STATUS },
      created_at: dateTime,
      updated_at: dateTime,
      position: { type: 'integer' },
      description: { type: ['string', 'null'] },
      showcase: { type: 'boolean' },
      start_date: { anyOf: [{ type: 'null' }, { type: 'string', format: 'date' }] },
      group_id: { type: ['string', 'null'] },
      page_id: { type: 'string' },
      group: { type: 'boolean' },
      only_show_if_degraded: { type: 'boolean' },
      components: { type: 'array', items: { type: 'string' } },
    },
  },
  incidentUpdate: {
    $id: 'incidentUpdate',
    type: 'object',
    required: [
      'id',
      'status',
      'body',
      'incident_id',
      'created_at',
      'updated_at',
      'display_at',
      'affected_components',
      'deliver_notifications',
      'custom_tweet',
      'tweet_id',
    ],
    additionalProperties: false,
    properties: {
      id: { type: 'string' },
      status: {
        enum: ['investigating', 'identified', 'monitoring', 'resolved', 'postmortem', 'scheduled', 'in_progress', 'verifying', 'completed'],
      },
      body: { type: 'string' },
      incident_id: { type: 'string' },
      created_at: dateTime,
      updated_at: dateTime,
      display_at: dateTime,
      affected_components: {
        anyOf: [
          { type: 'null' },
          {
            type: 'array',
            items: {
              type: 'object',
              required: ['code', 'name', 'old_status', 'new_status'],
              additionalProperties: false,
              properties: {
                code: { type: 'string' },
                name: { type: 'string' },
                old_status: { enum: COMPONENT_STATUS },
                new_status: { enum: COMPONENT_STATUS },
              },
            },
          },
        ],
      },
      deliver_notifications: { type: 'boolean' },
      custom_tweet: { type: ['string', 'null'] },
      tweet_id: { type: ['string', 'null'] },
    },
  },
  incident: {
    $id: 'incident',
    type: 'object',
    required: [
      'id',
      'name',
      'status',
      'created_at',
      'updated_at',
      'monitoring_at',
      'resolved_at',
      'impact',
      'shortlink',
      'started_at',
      'page_id',
      'incident_updates',
      'components',
    ],
    additionalProperties: false,
    properties: {
      id: { type: 'string' },
      name: { type: 'string' },
      status: { enum: ['investigating', 'identified', 'monitoring', 'resolved', 'postmortem'] },
      created_at: dateTime,
      updated_at: nullableDateTime,
      monitoring_at: nullableDateTime,
      resolved_at: nullableDateTime,
      impact: { enum: ['none', 'minor', 'major', 'critical'] },
      shortlink: { type: 'string', format: 'uri' },
      started_at: dateTime,
      page_id: { type: 'string' },
      incident_updates: { type: 'array', items: { $ref: 'incidentUpdate' } },
      components: { type: 'array', items: { $ref: 'component' } },
    },
  },
  maintenance: {
    $id: 'maintenance',
    type: 'object',
    required: [
      'id',
      'name',
      'status',
      'created_at',
      'updated_at',
      'monitoring_at',
      'resolved_at',
      'impact',
      'shortlink',
      'started_at',
      'page_id',
      'incident_updates',
      'components',
      'scheduled_for',
      'scheduled_until',
    ],
    additionalProperties: false,
    properties: {
      id: { type: 'string' },
      name: { type: 'string' },
      status: { enum: ['scheduled', 'in_progress', 'verifying', 'completed'] },
      created_at: dateTime,
      updated_at: nullableDateTime,
      monitoring_at: nullableDateTime,
      resolved_at: nullableDateTime,
      impact: { enum: ['none', 'minor', 'major', 'critical', 'maintenance'] },
      shortlink: { type: 'string', format: 'uri' },
      started_at: dateTime,
      page_id: { type: 'string' },
      incident_updates: { type: 'array', items: { $ref: 'incidentUpdate' } },
      components: { type: 'array', items: { $ref: 'component' } },
      scheduled_for: dateTime,
      scheduled_until: dateTime,
    },
  },
};

const page = { $ref: 'page' };
const responses = {
  summary: {
    type: 'object',
    required: ['page', 'components', 'incidents', 'scheduled_maintenances', 'status'],
    additionalProperties: false,
    properties: {
      page,
      components: { type: 'array', items: { $ref: 'component' } },
      incidents: { type: 'array', items: { $ref: 'incident' } },
      scheduled_maintenances: { type: 'array', items: { $ref: 'maintenance' } },
      status: { $ref: 'status' },
    },
  },
  status: { type: 'object', required: ['page', 'status'], additionalProperties: false, properties: { page, status: { $ref: 'status' } } },
  components: {
    type: 'object',
    required: ['page', 'components'],
    additionalProperties: false,
    properties: { page, components: { type: 'array', items: { $ref: 'component' } } },
  },
  incidents: {
    type: 'object',
    required: ['page', 'incidents'],
    additionalProperties: false,
    properties: { page, incidents: { type: 'array', items: { $ref: 'incident' } } },
  },
  maintenances: {
    type: 'object',
    required: ['page', 'scheduled_maintenances'],
    additionalProperties: false,
    properties: { page, scheduled_maintenances: { type: 'array', items: { $ref: 'maintenance' } } },
  },
};

const ajv = ajv07({ allErrors: true, strict: true });
for (const s of Object.values(schemas)) ajv.addSchema(s);

function expectShape(kind: keyof typeof responses, body: unknown): void {
  const validate = ajv.compile(responses[kind]);
  if (!validate(body)) throw new Error(`${kind}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body, null, 1).slice(0, 3000)}`);
}

describe('status page: Statuspage JSON, feeds, badges, operator actions', () => {
  let server: TestServer;
  let incidentId: string;

  beforeAll(async () => {
    server = await startServer({ storage: 'postgres', env: fastStatusEnv({ EARSHOT_STATUS_PROBE_SECONDS: '2' }) });
    // Every local component has been probed once (LeMUR is not configured on test servers: not shown).
    await waitFor(
      'first probes',
      () => getJson<{ components: { id: string; last_probe_at: string | null }[] }>(server, '/status/history.json'),
      (h) => h.components.filter((c) => !c.id.startsWith('upstream')).every((c) => c.last_probe_at),
      90_000,
    );
  });

  afterAll(async () => {
    await server?.destroy();
  });

  it('answers every /api/v2 endpoint in the documented shape, incidents and maintenances included', async () => {
    const created = await operator(server, '/status/incidents', {
      name: 'Slow uploads',
      message: 'Uploads over 1 GB are slow.',
      impact: 'minor',
      status: 'identified',
      components: ['storage'],
    });
    expect(created.status).toBe(201);
    incidentId = ((await created.json()) as { id: string }).id;
    expect(
      (await operator(server, `/status/incidents/${incidentId}/updates`, { message: 'A fix is deployed; watching.', status: 'monitoring' }))
        .status,
    ).toBe(200);
    const hour = 3_600_000;
    const now = Date.now();
    const active = await operator(server, '/status/maintenances', {
      name: 'Queue upgrade',
      message: 'pg-boss upgrade',
      scheduled_for: new Date(now - hour).toISOString(),
      scheduled_until: new Date(now + hour).toISOString(),
      components: ['queue'],
    });
    expect(active.status).toBe(201);
    const upcoming = await operator(server, '/status/maintenances', {
      name: 'Disk swap',
      scheduled_for: new Date(now + 24 * hour).toISOString(),
      scheduled_until: new Date(now + 25 * hour).toISOString(),
      components: ['storage'],
    });
    expect(upcoming.status).toBe(201);

    const summary = await getJson<Record<string, never>>(server, '/api/v2/summary.json');
    expectShape('summary', summary);
    const s = summary as unknown as {
      status: { indicator: string };
      components: { id: string; status: string }[];
      incidents: { id: string; status: string; incident_updates: { status: string }[] }[];
      scheduled_maintenances: { name: string; status: string }[];
    };
    expect(s.status.indicator).toBe('minor');
    expect(s.components.map((c) => c.id)).toEqual(['transcription', 'streaming', 'storage', 'queue']);
    expect(s.components.find((c) => c.id === 'queue')!.status).toBe('under_maintenance');
    expect(s.incidents.map((i) => i.id)).toEqual([incidentId]);
    expect(s.incidents[0]!.incident_updates.map((u) => u.status)).toEqual(['monitoring', 'identified']);
    expect(s.scheduled_maintenances.map((m) => [m.name, m.status]).sort()).toEqual([
      ['Disk swap', 'scheduled'],
      ['Queue upgrade', 'in_progress'],
    ]);

    for (const [path, kind] of [
      ['/api/v2/status.json', 'status'],
      ['/api/v2/components.json', 'components'],
      ['/api/v2/incidents.json', 'incidents'],
      ['/api/v2/incidents/unresolved.json', 'incidents'],
      ['/api/v2/scheduled-maintenances.json', 'maintenances'],
      ['/api/v2/scheduled-maintenances/upcoming.json', 'maintenances'],
      ['/api/v2/scheduled-maintenances/active.json', 'maintenances'],
    ] as const) {
      const res = await fetch(new URL(path, server.url));
      expect(res.status, path).toBe(200);
      expect(res.headers.get('access-control-allow-origin'), path).toBe('*');
      expectShape(kind, await res.json());
    }
    const up = await getJson<{ scheduled_maintenances: { name: string }[] }>(server, '/api/v2/scheduled-maintenances/upcoming.json');
    expect(up.scheduled_maintenances.map((m) => m.name)).toEqual(['Disk swap']);
    const act = await getJson<{ scheduled_maintenances: { name: string }[] }>(server, '/api/v2/scheduled-maintenances/active.json');
    expect(act.scheduled_maintenances.map((m) => m.name)).toEqual(['Queue upgrade']);

    // The shortlink is a real page.
    const incident = (await getJson<{ incidents: { id: string; shortlink: string }[] }>(server, '/api/v2/incidents.json')).incidents.find(
      (i) => i.id === incidentId,
    )!;
    const html = await (await fetch(incident.shortlink)).text();
    expect(html).toContain('Slow uploads');
    expect(html).toContain('A fix is deployed; watching.');
  });

  it('keeps the incident history a month at a time, with links to the months around it', async () => {
    const page = async (q: string) => {
      const res = await fetch(new URL(`/status/history${q}`, server.url));
      return { status: res.status, html: await res.text() };
    };
    const month = new Date().toISOString().slice(0, 7);
    const now = await page('');
    expect(now.status).toBe(200);
    expect(now.html).toContain(`data-month="${month}"`);
    expect(now.html).toContain('Slow uploads');
    expect(now.html).toContain('Queue upgrade');
    const [y, m] = month.split('-').map(Number) as [number, number];
    const before = new Date(Date.UTC(y, m - 2, 1)).toISOString().slice(0, 7);
    const earlier = await page(`?month=${before}`);
    expect(earlier.html).toMatch(/No incidents or maintenance in/);
    expect(earlier.html).toContain(`/status/history?month=${month}`);
    // Nothing is older than this month's incidents: no link further back.
    expect(now.html).not.toContain(`?month=${before}`);
    expect((await page('?month=2026-13')).status).toBe(400);
    // The front page links to it.
    expect(await (await fetch(new URL('/status', server.url))).text()).toContain('/status/history"');
  });
  it('resolving an incident takes it off unresolved.json and out of the indicator', async () => {
    expect((await operator(server, `/status/incidents/${incidentId}/updates`, { message: 'Fixed.', status: 'resolved' })).status).toBe(200);
    const unresolved = await getJson<{ incidents: unknown[] }>(server, '/api/v2/incidents/unresolved.json');
    expect(unresolved.incidents).toEqual([]);
    const all = await getJson<{ incidents: { id: string; status: string; resolved_at: string | null }[] }>(
      server,
      '/api/v2/incidents.json',
    );
    expect(all.incidents[0]).toMatchObject({ id: incidentId, status: 'resolved' });
    expect(all.incidents[0]!.resolved_at).not.toBeNull();
    // An operational page, with one component under maintenance.
    expect(await getJson(server, '/api/v2/status.json')).toMatchObject({
      status: { indicator: 'none', description: 'Service Under Maintenance' },
    });
  });

  it('serves the incident history as RSS and Atom, and status and uptime badges', async () => {
    const rss = await fetch(new URL('/status/history.rss', server.url));
    expect(rss.headers.get('content-type')).toMatch(/application\/rss\+xml/);
    const rssText = await rss.text();
    expect(rssText).toMatch(/^<\?xml version="1.0"/);
    expect(rssText).toContain('<title>Slow uploads</title>');
    expect(rssText).toContain(`<guid isPermaLink="false">${incidentId}</guid>`);
    const atom = await (await fetch(new URL('/status/history.atom', server.url))).text();
    expect(atom).toContain('<feed xml:lang="en-US" xmlns="http://www.w3.org/2005/Atom">');
    expect(atom).toMatch(/<entry><id>tag:earshot,2025:incident\/\w+<\/id>.*<title>Queue upgrade<\/title>/);

    const badge = await fetch(new URL('/status/badge.svg', server.url));
    expect(badge.headers.get('content-type')).toMatch(/image\/svg\+xml/);
    expect(await badge.text()).toContain('service under maintenance');
    expect(await (await fetch(new URL('/status/badge/transcription.svg', server.url))).text()).toContain(
      'aria-label="Transcription: operational"',
    );
    expect(await (await fetch(new URL('/status/badge/lemur.svg', server.url))).text()).toContain('not configured');
    expect(await (await fetch(new URL('/status/uptime/transcription.svg?period=24h', server.url))).text()).toContain(
      'Transcription 24h: 100.00%',
    );
    expect((await fetch(new URL('/status/badge/nope.svg', server.url))).status).toBe(404);
    expect((await fetch(new URL('/status/uptime/storage.svg?period=1y', server.url))).status).toBe(400);
  });

  it('lets only keys of the "default" project write to the page', async () => {
    const body = { name: 'x', message: 'y' };
    expect(
      (
        await fetch(new URL('/status/incidents', server.url), {
          method: 'POST',
          body: JSON.stringify(body),
          headers: { 'content-type': 'application/json' },
        })
      ).status,
    ).toBe(401);
    const other = await server.cli(['keys', 'create', '--project', 'someone-else']);
    expect(other.code).toBe(0);
    const res = await api(server, '/status/incidents', { method: 'POST', json: body, headers: { authorization: other.stdout.trim() } });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: string }).error).toMatch(/default/);
    // Bad input is a 400 that names the field.
    const bad = await operator(server, '/status/incidents', { name: 'x', message: 'y', components: ['nope'] });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/unknown component nope/);
    expect((await operator(server, '/status/incidents/doesnotexist/updates', { message: 'z' })).status).toBe(404);
  });

  it('probes on demand, and the component states the probes measured are in history.json', async () => {
    const res = await operator(server, '/status/probe');
    expect(res.status).toBe(200);
    const { results } = (await res.json()) as { results: Record<string, { observed: string; message: string }> };
    expect(Object.keys(results).sort()).toEqual(['lemur', 'queue', 'storage', 'streaming', 'transcription']);
    expect(results.transcription).toMatchObject({ observed: 'operational' });
    expect(results.transcription!.message).toMatch(/clip transcribed by pocketsphinx/);
    expect(results.streaming).toMatchObject({ observed: 'operational' });
    expect(results.lemur).toMatchObject({ observed: 'inactive' });
    await waitForComponent(server, 'transcription', 'operational');
  });
});
