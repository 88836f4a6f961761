import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeLlm } from '../helpers/llm.js';
import { api, freePort, startServer, type TestServer } from '../helpers/server.js';
import { fastStatusEnv, summary, waitFor, waitForComponent } from './helpers.js';

/** A webhook receiver that keeps the raw bodies, to check signatures over the exact bytes. */
async function rawReceiver() {
  const got: { headers: http.IncomingHttpHeaders; raw: string; body: Record<string, unknown> }[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      got.push({ headers: req.headers, raw, body: JSON.parse(raw) as Record<string, unknown> });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    got,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function verify(secret: string, header: string, raw: string): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return false;
  return createHmac('sha256', secret).update(`${m[1]}.${raw}`).digest('hex') === m[2] && Math.abs(Date.now() / 1000 - Number(m[1])) < 300;
}

describe('status page: the LLM backend becomes unreachable', () => {
  let llm: Awaited<ReturnType<typeof fakeLlm>>;
  let hooks: Awaited<ReturnType<typeof rawReceiver>>;
  let server: TestServer;
  let secret: string;

  beforeAll(async () => {
    llm = await fakeLlm(await freePort());
    hooks = await rawReceiver();
    server = await startServer({
      env: fastStatusEnv({ EARSHOT_LLM_URL: llm.url, EARSHOT_STATUS_PROBE_TIMEOUT_SECONDS: '5', EARSHOT_LLM_TIMEOUT_MS: '3000' }),
    });
    await waitForComponent(server, 'lemur', 'operational');
  });

  afterAll(async () => {
    await server?.destroy();
    await hooks?.close();
    await llm?.stop().catch(() => undefined);
  });

  it('probes the LLM with a tiny generation', async () => {
    expect(llm.chats()).toBeGreaterThan(0);
    const h = (await (await fetch(new URL('/status/history.json', server.url))).json()) as {
      components: { id: string; last_message: string }[];
    };
    expect(h.components.find((c) => c.id === 'lemur')!.last_message).toMatch(/fake-llm \(openai\) generated 1 token/);
  });

  it('subscribes a webhook with an API key only, and hands out its signing secret once', async () => {
    const anonymous = await fetch(new URL('/status/subscriptions', server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ webhook: hooks.url }),
    });
    expect(anonymous.status).toBe(401);
    const res = await api(server, '/status/subscriptions', { method: 'POST', json: { webhook: hooks.url, components: ['lemur'] } });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { id: string; secret: string; components: string[]; unsubscribe_url: string };
    expect(body.components).toEqual(['lemur']);
    expect(body.secret).toMatch(/^[0-9a-f]{48}$/);
    secret = body.secret;
  });

  it('turns LeMUR major_outage on its own, opens an incident, and sends signed Statuspage-style webhooks', async () => {
    await llm.stop();
    const down = await waitForComponent(server, 'lemur', 'major_outage');
    // Independent components: the rest of the server is fine.
    expect(down.components.filter((c) => c.id !== 'lemur').map((c) => c.status)).toEqual([
      'operational',
      'operational',
      'operational',
      'operational',
    ]);
    const incident = down.incidents.find((i) => i.components.some((c) => c.id === 'lemur'))!;
    expect(incident.name).toBe('LeMUR: major outage');
    expect(incident.incident_updates[0]!.body).toMatch(/could not be reached/);

    await waitFor(
      'two webhooks',
      async () => hooks.got.length,
      (n) => n >= 2,
      30_000,
    );
    for (const h of hooks.got) expect(verify(secret, h.headers['x-earshot-signature'] as string, h.raw), h.raw).toBe(true);
    const component = hooks.got.find((h) => h.headers['x-earshot-event'] === 'component_update')!;
    expect(component.body).toMatchObject({
      page: { status_indicator: 'critical', status_description: 'Major System Outage' },
      component_update: { old_status: 'operational', new_status: 'major_outage', component_id: 'lemur' },
      component: { id: 'lemur', name: 'LeMUR', status: 'major_outage' },
    });
    const opened = hooks.got.find((h) => h.headers['x-earshot-event'] === 'incident')!;
    expect(opened.body).toMatchObject({ incident: { name: 'LeMUR: major outage', status: 'investigating', impact: 'critical' } });
    expect((opened.body.meta as { unsubscribe: string }).unsubscribe).toMatch(/\/status\/subscriptions\/unsubscribe\?token=/);
    // A tampered body fails the signature.
    expect(verify(secret, opened.headers['x-earshot-signature'] as string, opened.raw.replace('critical', 'minor'))).toBe(false);
  });

  it('resolves it when the LLM answers again', async () => {
    await llm.start();
    const up = await waitForComponent(server, 'lemur', 'operational');
    expect(up.incidents).toEqual([]);
    const resolved = await waitFor(
      'the resolved webhook',
      async () => hooks.got.find((h) => (h.body.incident as { status?: string } | undefined)?.status === 'resolved'),
      Boolean,
      30_000,
    );
    expect(verify(secret, resolved!.headers['x-earshot-signature'] as string, resolved!.raw)).toBe(true);
    expect((await summary(server)).status.indicator).toBe('none');
  });
});
