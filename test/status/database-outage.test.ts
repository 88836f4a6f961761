import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';
import {
  fastStatusEnv,
  getJson,
  linkIn,
  operator,
  queryDatabase,
  setDatabaseReachable,
  startSmtp,
  summary,
  waitFor,
  waitForComponent,
} from './helpers.js';

/**
 * The database goes away for real (PostgreSQL refuses the server's connections and cuts the open
 * ones): storage turns major_outage, an incident opens, an email arrives at a real SMTP server, the
 * page keeps answering from memory; the database comes back, the incident resolves, the history
 * written meanwhile is replayed, and the unsubscribe link stops the emails.
 */
/** Returns just after a probe round has been recorded: the next one starts an interval later. */
async function betweenRounds(server: TestServer): Promise<void> {
  const last = async () =>
    (await getJson<{ components: { id: string; last_probe_at: string | null }[] }>(server, '/status/history.json')).components.find(
      (c) => c.id === 'transcription',
    )!.last_probe_at;
  const seen = await last();
  await waitFor('a new probe round', last, (t) => t !== seen, 30_000);
}

describe('status page: the database goes down and comes back', () => {
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let server: TestServer;
  const email = 'ops@example.test';

  beforeAll(async () => {
    smtp = await startSmtp();
    server = await startServer({
      storage: 'postgres',
      env: fastStatusEnv({
        EARSHOT_STATUS_PROBE_SECONDS: '2',
        EARSHOT_SMTP_URL: smtp.url,
        EARSHOT_SMTP_FROM: 'Earshot status <status@earshot.test>',
        EARSHOT_STATUS_PROBE_TIMEOUT_SECONDS: '5',
      }),
    });
    await waitForComponent(server, 'storage', 'operational');
  });

  afterAll(async () => {
    if (process.env.EARSHOT_TEST_SHOW_OUTPUT) console.log(server?.output());
    if (server) await setDatabaseReachable(server, true).catch(() => undefined);
    await server?.destroy();
    await smtp?.close();
  });

  it("subscribes by email with double opt-in, from the page's form", async () => {
    // The HTML form posts urlencoded; only storage and queue are asked for.
    const res = await fetch(new URL('/status/subscriptions', server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: `email=${encodeURIComponent(email)}&components=storage&components=queue`,
    });
    expect(res.status).toBe(202);
    expect(await res.text()).toContain('Check your inbox');
    const mail = await smtp.waitForMail((m) => /Confirm your status subscription/.test(m.subject));
    expect(mail.to).toEqual([email]);
    expect(mail.from).toBe('status@earshot.test');
    const confirm = linkIn(mail.text, `${server.url}/status/subscriptions/confirm?token=`);
    // Asking again does not mail the address again (the public form must not flood an inbox).
    const again = await fetch(new URL('/status/subscriptions', server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email }),
    });
    expect(again.status).toBe(202);
    // A bad address, from the form, is answered with a page.
    const bad = await fetch(new URL('/status/subscriptions', server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: 'email=nobody',
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('email must be an email address');
    await new Promise((r) => setTimeout(r, 1000));
    expect(smtp.mails.filter((m) => /Confirm/.test(m.subject))).toHaveLength(1);
    // Not confirmed yet: nothing is sent to it.
    const [row] = await queryDatabase<{ confirmed_at: Date | null }>(
      server,
      'select confirmed_at from status_subscribers where target = $1',
      [email],
    );
    expect(row!.confirmed_at).toBeNull();
    // A forged token does nothing.
    expect((await fetch(`${confirm.slice(0, -4)}AAAA`)).status).toBe(404);
    const page = await fetch(confirm);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`${email} now gets an email`);
  });

  it('reports storage down, opens an incident and emails it, while the page answers from memory', async () => {
    const before = smtp.mails.length;
    // Cut the database between two probe rounds, when no job is running: with a job in flight,
    // pg-boss 10 crashes the whole process (its complete()/fail() are not awaited: timgit/pg-boss#577).
    await betweenRounds(server);
    await setDatabaseReachable(server, false);
    const down = await waitForComponent(server, 'storage', 'major_outage', 60_000);
    expect(down.status.indicator).toBe('critical');
    const incident = down.incidents.find((i) => i.components.some((c) => c.id === 'storage'))!;
    expect(incident).toMatchObject({ name: 'Storage: major outage', status: 'investigating', impact: 'critical' });
    expect(incident.incident_updates[0]!.body).toMatch(/Automatic checks find Storage in major outage: database \(postgres\)/);

    const mail = await smtp.waitForMail((m) => smtp.mails.indexOf(m) >= before && /Storage: major outage: Investigating/.test(m.subject));
    expect(mail.text).toMatch(/Operational → Major outage/);
    expect(mail.headers).toMatch(/List-Unsubscribe: <http:\/\/127\.0\.0\.1:\d+\/status\/subscriptions\/unsubscribe\?token=/);
    expect(mail.headers).toMatch(/List-Unsubscribe-Post: List-Unsubscribe=One-Click/);

    // The outage is where the database is used: the queue (pg-boss) within two more rounds, and /health.
    await waitForComponent(server, 'queue', 'major_outage', 15_000);
    const health = await fetch(new URL('/health', server.url));
    expect(health.status).toBe(503);
    expect(((await health.json()) as { checks: { database: { status: string } } }).checks.database.status).not.toBe('ok');
    // A live session on an API key needs no database (the key's last answer holds while it is away):
    // Streaming stays operational round after round.
    for (let round = 0; round < 8; round++) {
      const now = await summary(server);
      expect(now.components.find((c) => c.id === 'streaming')!.status).toBe('operational');
      await new Promise((r) => setTimeout(r, 2000));
    }

    // The HTML page says why it has no history, and still shows the outage.
    const html = await (await fetch(new URL('/status', server.url))).text();
    expect(html).toContain('The database cannot be reached');
    expect(html).toMatch(/data-component="storage" data-status="major_outage"/);
  });

  it('resolves the incident once the database is back, and keeps what happened meanwhile', async () => {
    const before = smtp.mails.length;
    await setDatabaseReachable(server, true);
    const up = await waitForComponent(server, 'storage', 'operational', 60_000);
    expect(up.incidents.filter((i) => i.components.some((c) => c.id === 'storage'))).toEqual([]);
    const mail = await smtp.waitForMail((m) => smtp.mails.indexOf(m) >= before && /Storage: major outage: Resolved/.test(m.subject));
    expect(mail.text).toMatch(/Storage is operational again: 2 checks in a row passed/);

    // The incident and its updates, written while the database was away, are in it now.
    const incidents = await getJson<{ incidents: { name: string; status: string; incident_updates: { status: string }[] }[] }>(
      server,
      '/api/v2/incidents.json',
    );
    const storage = incidents.incidents.find((i) => i.name === 'Storage: major outage')!;
    expect(storage.status).toBe('resolved');
    expect(storage.incident_updates.map((u) => u.status)).toEqual(['resolved', 'investigating']);
    const probes = await queryDatabase<{ observed: string }>(
      server,
      "select observed from status_probes where component = 'storage' order by at",
    );
    expect(probes.map((p) => p.observed)).toContain('major_outage');
    // So is the send log: each email tried once, and sent.
    const log = await queryDatabase<{ subject: string; ok: boolean }>(server, 'select subject, ok from status_alert_log order by id');
    expect(log.filter((l) => /Storage: major outage/.test(l.subject)).every((l) => l.ok)).toBe(true);
    // 24 h uptime dropped below 100 %.
    const history = await getJson<{ components: { id: string; uptime: { '24h': number } }[] }>(server, '/status/history.json');
    expect(history.components.find((c) => c.id === 'storage')!.uptime['24h']).toBeLessThan(1);
  });

  it('stops emailing after one click on the unsubscribe link', async () => {
    const last = smtp.mails.filter((m) => /Resolved/.test(m.subject)).at(-1)!;
    const unsubscribe = linkIn(last.text, `${server.url}/status/subscriptions/unsubscribe?token=`);
    const res = await fetch(unsubscribe);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(`${email} gets no more status alerts`);
    const before = smtp.mails.length;
    // An incident about storage (which the subscription asked for) now emails nobody.
    expect(
      (await operator(server, '/status/incidents', { name: 'Storage check', message: 'Looking at disks.', components: ['storage'] }))
        .status,
    ).toBe(201);
    await new Promise((r) => setTimeout(r, 3000));
    expect(smtp.mails.length).toBe(before);
    expect((await summary(server)).incidents.map((i) => i.name)).toContain('Storage check');
  });
});
