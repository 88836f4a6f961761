import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startServer, type TestServer } from '../helpers/server.js';
import { fastStatusEnv, getJson, summary, waitFor, waitForComponent } from './helpers.js';

type Phase = 'fine' | 'outage';

/** A Statuspage-powered service's summary.json, as its page would serve it in each phase. */
function upstreamSummary(phase: Phase) {
  const page = {
    id: 'fakecloud01',
    name: 'Fake Cloud',
    url: 'https://status.fake.example',
    time_zone: 'Etc/UTC',
    updated_at: new Date().toISOString(),
  };
  const component = (id: string, name: string, status: string, group_id: string | null) => ({
    id,
    name,
    status,
    created_at: page.updated_at,
    updated_at: page.updated_at,
    position: 1,
    description: null,
    showcase: true,
    start_date: null,
    group_id,
    page_id: page.id,
    group: false,
    only_show_if_degraded: false,
  });
  const outage = phase === 'outage';
  return {
    page,
    components: [
      { ...component('grp', 'APIs', outage ? 'major_outage' : 'operational', null), group: true, components: ['tx', 'llm'] },
      component('tx', 'Transcription API', outage ? 'major_outage' : 'operational', 'grp'),
      component('llm', 'LeMUR', 'operational', 'grp'),
    ],
    incidents: outage ? [{ id: 'inc1', name: 'Elevated errors', status: 'investigating', impact: 'major' }] : [],
    scheduled_maintenances: [],
    status: outage
      ? { indicator: 'major', description: 'Partial System Outage' }
      : { indicator: 'none', description: 'All Systems Operational' },
  };
}

describe('status page: upstream Statuspage services', () => {
  let phase: Phase = 'fine';
  let polls = 0;
  let upstream: http.Server;
  let server: TestServer;

  beforeAll(async () => {
    upstream = http.createServer((req, res) => {
      if (req.url !== '/api/v2/summary.json') return res.writeHead(404).end();
      polls++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(upstreamSummary(phase)));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const fake = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    // Nothing listens there: stands for an upstream this (offline) machine cannot reach.
    const unreachable = `http://127.0.0.1:${await freePort()}`;
    server = await startServer({
      env: fastStatusEnv({
        EARSHOT_STATUS_PROBE_SECONDS: '0',
        EARSHOT_STATUS_UPSTREAM_SECONDS: '1',
        EARSHOT_STATUS_UPSTREAMS: `Fake Cloud=${fake},Offline Service=${unreachable}`,
      }),
    });
  });

  afterAll(async () => {
    await server?.destroy();
    await new Promise<void>((resolve) => upstream?.close(() => resolve()));
  });

  it('shows a reachable upstream in its own group, and leaves out one never reached', async () => {
    await waitForComponent(server, 'upstream-fake-cloud', 'operational');
    const { components } = await getJson<{ components: { id: string; group: boolean; group_id: string | null; components?: string[] }[] }>(
      server,
      '/api/v2/components.json',
    );
    expect(components.map((c) => c.id)).toEqual(['upstream', 'upstream-fake-cloud']);
    expect(components[0]).toMatchObject({ group: true, components: ['upstream-fake-cloud'] });
    expect(components[1]).toMatchObject({ group: false, group_id: 'upstream' });
    const page = await (await fetch(new URL('/status', server.url))).text();
    expect(page).toContain('Upstream services');
    expect(page).toMatch(
      /data-component="upstream-offline-service" data-status="inactive">.*Not reached.*could not be read: ECONNREFUSED/s,
    );
  });

  it("follows the upstream into an outage, with an incident, without touching this server's own status", async () => {
    phase = 'outage';
    const s = await waitForComponent(server, 'upstream-fake-cloud', 'major_outage');
    expect(s.status).toEqual({ indicator: 'none', description: 'All Systems Operational' });
    expect(s.components.find((c) => c.id === 'upstream')!.status).toBe('major_outage');
    const incident = s.incidents.find((i) => i.components.some((c) => c.id === 'upstream-fake-cloud'))!;
    expect(incident.name).toBe('Fake Cloud: major outage');
    expect(incident.incident_updates[0]!.body).toContain(
      'Partial System Outage; Transcription API: major outage; incident "Elevated errors" (investigating)',
    );
  });

  it('resolves when the upstream recovers, and keeps polling', async () => {
    phase = 'fine';
    const s = await waitForComponent(server, 'upstream-fake-cloud', 'operational');
    expect(s.incidents).toEqual([]);
    const before = polls;
    await waitFor(
      'more polls',
      async () => polls,
      (n) => n >= before + 2,
      10_000,
    );
    expect((await summary(server)).components.find((c) => c.id === 'upstream-fake-cloud')!.status).toBe('operational');
  });
});
