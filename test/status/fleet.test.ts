import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeLlm } from '../helpers/llm.js';
import { startReceiver } from '../helpers/receiver.js';
import { api, createTestDatabase, freePort, startServer, type TestServer } from '../helpers/server.js';
import { fastStatusEnv, queryDatabase, setDatabaseReachable, summary, waitFor, waitForComponent } from './helpers.js';

/**
 * Three real server processes on one PostgreSQL database, probing every 3 s: one status truth. The
 * LLM they share goes away (streaks count the fleet's probes, one incident, each alert once) and so
 * does the database (one incident per component, alerts once, all resolved once it is back).
 */
const FLEET_START_MS = 300_000;
const FAILURES = 3;

interface Hook {
  incident?: { name: string; status: string; components: { id: string }[] };
  component_update?: { component_id: string; old_status: string; new_status: string };
}

describe('status page of a fleet of three nodes', () => {
  let db: { url: string; drop: () => Promise<void> };
  let llm: Awaited<ReturnType<typeof fakeLlm>>;
  let hooks: Awaited<ReturnType<typeof startReceiver>>;
  const nodes: TestServer[] = [];
  // One disk all three mount (file://): each reads the others' uploads, so Storage is not degraded
  // (test/storage/fleet.test.ts has disks apart).
  const disk = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-fleet-disk-'));
  const bodies = () => hooks.to('/hook').map((r) => r.body as Hook);
  const incidentHooks = (component: string, status: string) =>
    bodies().filter((b) => b.incident?.status === status && b.incident.components.some((c) => c.id === component));
  const componentHooks = (component: string) => bodies().filter((b) => b.component_update?.component_id === component);
  const sql = <T>(text: string, params: unknown[] = []) => queryDatabase<T>(nodes[0]!, text, params);

  beforeAll(async () => {
    db = await createTestDatabase();
    llm = await fakeLlm(await freePort());
    hooks = await startReceiver();
    const key = randomBytes(16).toString('hex');
    const env = fastStatusEnv({
      EARSHOT_STATUS_PROBE_SECONDS: '3',
      EARSHOT_STATUS_FAILURE_THRESHOLD: String(FAILURES),
      EARSHOT_LLM_URL: llm.url,
      EARSHOT_LLM_TIMEOUT_MS: '3000',
      // No latency limits: three nodes on a busy machine are slow, and slowness is not what is tested here.
      EARSHOT_STATUS_SLOW_MS: '',
      EARSHOT_STATUS_PROBE_TIMEOUT_SECONDS: '30',
      EARSHOT_STORAGE_URL: pathToFileURL(disk).href,
    });
    const opts = { storage: 'postgres' as const, databaseUrl: db.url, apiKey: key, env };
    nodes.push(await startServer(opts));
    nodes.push(...(await Promise.all([startServer(opts), startServer(opts)])));
    await waitForComponent(nodes[2]!, 'lemur', 'operational');
    const res = await api(nodes[1]!, '/status/subscriptions', {
      method: 'POST',
      json: { webhook: `${hooks.url}/hook`, components: ['lemur', 'storage'] },
    });
    expect(res.status).toBe(201);
  }, FLEET_START_MS);

  afterAll(async () => {
    if (process.env.EARSHOT_TEST_SHOW_OUTPUT) for (const n of nodes) console.log(n.output());
    if (nodes[0]) await setDatabaseReachable(nodes[0], true).catch(() => undefined);
    await Promise.all(nodes.map((n) => n.destroy()));
    await db?.drop();
    await hooks?.close();
    await llm?.stop().catch(() => undefined);
    fs.rmSync(disk, { recursive: true, force: true });
  });

  it('lists every live node, with its own HTTP and streaming checks, to operators only', { timeout: 90_000 }, async () => {
    const list = await waitFor(
      'three nodes with their checks',
      async () =>
        (await (await api(nodes[0]!, '/status/nodes.json')).json()) as {
          nodes: {
            instance_id: string;
            this_node: boolean;
            base_url: string;
            version: string;
            checks: { http?: { observed: string }; streaming?: { observed: string } };
          }[];
        },
      // Streaming may be slow or time out on a busy machine: that it was checked is what counts here.
      (l) => l.nodes.length === 3 && l.nodes.every((n) => n.checks.http?.observed === 'operational' && n.checks.streaming !== undefined),
      60_000,
    );
    expect(list.nodes.map((n) => n.base_url).sort()).toEqual(nodes.map((n) => n.url).sort());
    expect(list.nodes.filter((n) => n.this_node)).toHaveLength(1);
    expect(new Set(list.nodes.map((n) => n.instance_id)).size).toBe(3);
    expect((await fetch(new URL('/status/nodes.json', nodes[0]!.url))).status).toBe(401);
    // The page shows them to a request with a key, and not to the public.
    const withKey = await (await api(nodes[1]!, '/status', { headers: { accept: 'text/html' } })).text();
    expect(withKey.match(/<tr data-node="/g)).toHaveLength(3);
    expect(await (await fetch(new URL('/status', nodes[1]!.url))).text()).not.toContain('data-node=');
    // Nor to a key of another project than the server's own.
    const made = await api(nodes[0]!, '/v2/keys', { method: 'POST', json: { name: 'customer', project: 'customer' } });
    expect(made.status).toBe(200);
    const customer = ((await made.json()) as { key: string }).key;
    const refused = await fetch(new URL('/status/nodes.json', nodes[0]!.url), { headers: { authorization: customer } });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ error: 'Only keys of the server\'s own project ("default") may list the fleet\'s nodes' });
    expect(await (await fetch(new URL('/status', nodes[2]!.url), { headers: { authorization: customer } })).text()).not.toContain(
      'data-node=',
    );
    // Each node's probe key is its own, named by its random instance id (not hostname + pid).
    const keys = await sql<{ name: string }>(
      "select k.name from api_keys k join projects p on p.id = k.project_id where p.name = 'earshot-status-probes' and k.revoked_at is null",
    );
    expect(keys.map((k) => k.name).sort()).toEqual(list.nodes.map((n) => `status probes (instance ${n.instance_id})`).sort());
  });

  it('counts failed probes in one streak kept in the database, whichever node runs them, and opens one incident, alerted once', {
    timeout: 120_000,
  }, async () => {
    const since = new Date();
    await llm.stop();
    // The status and its incident (written just after it) as another node than the prober reads them.
    const down = await waitFor(
      'lemur major_outage with its incident',
      () => summary(nodes[2]!),
      (s) => s.components.find((c) => c.id === 'lemur')?.status === 'major_outage' && s.incidents.length > 0,
      90_000,
    );
    expect(down.incidents.filter((i) => i.components.some((c) => c.id === 'lemur'))).toHaveLength(1);
    // The status turned at the third failed probe of the fleet, whichever nodes ran them.
    const probes = await sql<{ observed: string; status: string; instance_id: string }>(
      "select observed, status, instance_id from status_probes where component = 'lemur' and at >= $1 order by at, id",
      [since],
    );
    const turned = probes.findIndex((p) => p.status === 'major_outage');
    expect(probes.slice(0, turned + 1).filter((p) => p.observed === 'major_outage')).toHaveLength(FAILURES);
    expect(probes.slice(turned + 1 - FAILURES, turned + 1).every((p) => p.observed === 'major_outage')).toBe(true);
    await hooks.waitFor(() => incidentHooks('lemur', 'investigating').length > 0);
    await new Promise((r) => setTimeout(r, 5000));
    expect(incidentHooks('lemur', 'investigating')).toHaveLength(1);
    expect(componentHooks('lemur').map((b) => b.component_update!.new_status)).toEqual(['major_outage']);
    expect(await sql("select id from status_incidents where auto_component = 'lemur'")).toHaveLength(1);
  });

  it('resolves it from whichever node claims the rounds, once', { timeout: 120_000 }, async () => {
    await llm.start();
    for (const n of nodes)
      await waitFor(
        'lemur resolved on every node',
        () => summary(n),
        (s) =>
          s.components.find((c) => c.id === 'lemur')?.status === 'operational' &&
          !s.incidents.some((i) => i.components.some((c) => c.id === 'lemur')),
        90_000,
      );
    await hooks.waitFor(() => incidentHooks('lemur', 'resolved').length > 0);
    await new Promise((r) => setTimeout(r, 5000));
    expect(incidentHooks('lemur', 'resolved')).toHaveLength(1);
    expect(componentHooks('lemur').map((b) => b.component_update!.new_status)).toEqual(['major_outage', 'operational']);
    expect(await sql<{ status: string }>("select status from status_incidents where auto_component = 'lemur'")).toEqual([
      { status: 'resolved' },
    ]);
  });

  it('allows one open automatic incident per component in the schema', async () => {
    const insert = (id: string) =>
      sql(
        `insert into status_incidents (id, kind, name, status, impact, auto, components, created_at, updated_at, started_at, auto_component)
         values ($1, 'incident', 'x', 'investigating', 'minor', true, '["queue"]', now(), now(), now(), 'queue')`,
        [id],
      );
    await insert('testonly00001');
    await expect(insert('testonly00002')).rejects.toThrow(/status_incidents_one_auto/);
    await sql("delete from status_incidents where id = 'testonly00001'");
  });

  it('after a database outage, has one incident per component, alerted once, resolved once it is back', { timeout: 180_000 }, async () => {
    const before = hooks.received.length;
    await setDatabaseReachable(nodes[0]!, false);
    await Promise.all(nodes.map((n) => waitForComponent(n, 'storage', 'major_outage', 60_000)));
    await setDatabaseReachable(nodes[0]!, true);
    const storageOpen = (s: Awaited<ReturnType<typeof summary>>) => s.incidents.some((i) => i.components.some((c) => c.id === 'storage'));
    for (const n of nodes)
      await waitFor(
        'storage resolved on every node',
        () => summary(n),
        (s) => s.components.find((c) => c.id === 'storage')?.status === 'operational' && !storageOpen(s),
        90_000,
      );
    await new Promise((r) => setTimeout(r, 5000));
    // Three nodes saw the outage; the fleet has one incident for it, resolved.
    const incidents = await sql<{ status: string }>("select status from status_incidents where auto_component = 'storage'");
    expect(incidents).toEqual([{ status: 'resolved' }]);
    const after = hooks.received.slice(before).map((r) => r.body as Hook);
    const storage = (status: string) =>
      after.filter((b) => b.incident?.status === status && b.incident.components.some((c) => c.id === 'storage'));
    expect(storage('investigating')).toHaveLength(1);
    expect(storage('resolved')).toHaveLength(1);
  });

  it('drops a node that stopped beating off the list', async () => {
    await nodes[2]!.kill();
    const list = await waitFor(
      'two nodes',
      async () => (await (await api(nodes[0]!, '/status/nodes.json')).json()) as { nodes: { base_url: string }[] },
      (l) => l.nodes.length === 2,
      30_000,
    );
    expect(list.nodes.map((n) => n.base_url)).not.toContain(nodes[2]!.url);
  });
});
