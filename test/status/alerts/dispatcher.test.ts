import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, api, startServer, type TestServer } from '../../helpers/server.js';
import { startReceiver } from '../../helpers/receiver.js';
import { fastStatusEnv, operator, waitFor } from '../helpers.js';

interface LogEntry {
  kind: string;
  target: string;
  subject: string;
  attempt: number;
  ok: boolean;
  error: string | null;
}

const alertLog = async (server: TestServer) => ((await (await api(server, '/status/alerts')).json()) as { alerts: LogEntry[] }).alerts;

/** Alerts are retried (EARSHOT_STATUS_ALERT_ATTEMPTS, doubling pauses) and every try is in the send log. */
describe('status alerts: retries and the send log', () => {
  let server: TestServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    // The receiver fails twice, then takes the alert.
    receiver = await startReceiver((_req, n) => ({ status: n <= 2 ? 500 : 200 }));
    // An SMTP server that is not there.
    const deadSmtp = `smtp://127.0.0.1:${await freePort()}`;
    server = await startServer({
      env: fastStatusEnv({
        EARSHOT_STATUS_PROBE_SECONDS: '0',
        EARSHOT_SMTP_URL: deadSmtp,
        EARSHOT_STATUS_ALERT_ATTEMPTS: '3',
        EARSHOT_STATUS_ALERT_RETRY_SECONDS: '0.3',
      }),
    });
  });

  afterAll(async () => {
    await server?.destroy();
    await receiver?.close();
  });

  it('retries a failing webhook until it takes the alert, logging every try', async () => {
    const sub = await api(server, '/status/subscriptions', { method: 'POST', json: { webhook: `${receiver.url}/hook` } });
    expect(sub.status).toBe(201);
    expect((await operator(server, '/status/incidents', { name: 'Webhook test', message: 'Testing alerts.', impact: 'none' })).status).toBe(
      201,
    );
    await receiver.waitFor(() => receiver.to('/hook').length === 3, 20_000);
    const log = await waitFor(
      'three tries in the log',
      () => alertLog(server),
      (l) => l.filter((e) => e.subject.includes('Webhook test')).length === 3,
    );
    const tries = log.filter((e) => e.subject.includes('Webhook test')).reverse();
    expect(tries.map((t) => [t.kind, t.attempt, t.ok, t.error])).toEqual([
      ['webhook', 1, false, 'the receiver answered 500'],
      ['webhook', 2, false, 'the receiver answered 500'],
      ['webhook', 3, true, null],
    ]);
    // The pauses double: 0.3 s, then 0.6 s.
    const at = receiver.to('/hook').map((r) => r.at);
    expect(at[2]! - at[1]!).toBeGreaterThan(at[1]! - at[0]!);
  });

  it('gives up after the last try, and says why in the log', async () => {
    const res = await fetch(new URL('/status/subscriptions', server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'someone@example.test' }),
    });
    expect(res.status).toBe(202);
    const log = await waitFor(
      'three failed tries',
      () => alertLog(server),
      (l) => l.filter((e) => e.kind === 'email').length === 3,
    );
    const tries = log.filter((e) => e.kind === 'email');
    expect(tries.every((t) => !t.ok && /ECONNREFUSED|connect/i.test(t.error ?? ''))).toBe(true);
    expect(tries.map((t) => t.attempt).sort()).toEqual([1, 2, 3]);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await alertLog(server)).filter((e) => e.kind === 'email')).toHaveLength(3);
  });

  it('keeps the send log and on-demand probes to operators; a server that does not probe says so', async () => {
    expect((await fetch(new URL('/status/alerts', server.url))).status).toBe(401);
    const probe = await operator(server, '/status/probe');
    expect(probe.status).toBe(409);
    expect(((await probe.json()) as { error: string }).error).toMatch(/EARSHOT_STATUS_PROBE_SECONDS=0/);
  });
});
