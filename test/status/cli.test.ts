import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';
import { fastStatusEnv, waitForComponent } from './helpers.js';

/** `earshot status` and its subcommands, against a running server (they use its HTTP API, so they work beside PGlite). */
describe('earshot status', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({ env: fastStatusEnv({ EARSHOT_STATUS_PROBE_SECONDS: '2' }) });
    for (const id of ['transcription', 'streaming', 'storage', 'queue']) await waitForComponent(server, id, 'operational');
  });

  afterAll(async () => {
    await server?.destroy();
  });

  it('prints the status, each component with its uptime, and LeMUR as not configured', async () => {
    const r = await server.cli(['status']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Earshot: All Systems Operational {2}\(http:\/\/127\.0\.0\.1:\d+\/status\)\n/);
    expect(r.stdout).toMatch(/ {2}Transcription {2}operational +24h 100\.00% {2}7d 100\.00% {2}30d 100\.00% {2}90d 100\.00%/);
    expect(r.stdout).toMatch(/checked \d{4}-\d\d-\d\d \d\d:\d\d UTC: espeak-ng clip transcribed/);
    expect(r.stdout).toMatch(/ {2}LeMUR +not configured/);
    const json = await server.cli(['status', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: { indicator: 'none' } });
  });

  it('opens, shows and resolves an incident, and schedules maintenance', async () => {
    const open = await server.cli([
      'status',
      'incident',
      'open',
      '--name',
      'Slow exports',
      '--message',
      'SRT exports are slow.',
      '--impact',
      'major',
      '--components',
      'storage,queue',
    ]);
    expect(open.code, open.stderr).toBe(0);
    const id = open.stdout.trim();
    expect(id).toMatch(/^[0-9a-z]{12}$/);
    const shown = await server.cli(['status']);
    expect(shown.stdout).toMatch(/^Earshot: Partial System Outage/);
    expect(shown.stdout).toContain(`Unresolved incidents\n  [major] Slow exports (investigating, `);
    expect(shown.stdout).toContain('      SRT exports are slow.');
    const resolved = await server.cli(['status', 'incident', 'resolve', id]);
    expect(resolved.stdout.trim()).toBe(`${id} resolved`);
    const after = await server.cli(['status']);
    expect(after.stdout).toMatch(/^Earshot: All Systems Operational/);
    expect(after.stdout).toContain('Recent incidents\n  [major] Slow exports (resolved');

    const from = new Date(Date.now() + 86_400_000).toISOString();
    const until = new Date(Date.now() + 90_000_000).toISOString();
    const m = await server.cli([
      'status',
      'maintenance',
      '--name',
      'Database upgrade',
      '--from',
      from,
      '--until',
      until,
      '--components',
      'storage',
    ]);
    expect(m.stdout).toMatch(/^[0-9a-z]{12} scheduled\n$/);
    expect((await server.cli(['status'])).stdout).toContain('Scheduled maintenance\n  [maintenance] Database upgrade (scheduled');
  });

  it('probes on demand and prints what each probe found', async () => {
    const r = await server.cli(['status', 'probe']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^transcription +operational +\d+ ms {2}espeak-ng clip/m);
    expect(r.stdout).toMatch(/^lemur +inactive +– ms {2}No LLM is configured/m);
    expect(r.stdout.trim().split('\n')).toHaveLength(5);
  });

  it('says so when no server answers', async () => {
    const r = await server.cli(['status', '--server', 'http://127.0.0.1:9']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach Earshot at http:\/\/127\.0\.0\.1:9/);
  });
});
