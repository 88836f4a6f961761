import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hermeticEnv, runCli } from '../helpers/server.js';

/** A stand-in server that records what each CLI command asks of it. */
let fake: Server;
let port: number;
const seen: { method: string; url: string; authorization?: string }[] = [];

function answer(req: IncomingMessage): unknown {
  if (req.url === '/status/alerts') return { alerts: [] };
  if (req.url === '/status/maintenances') return { id: 'm1', status: 'scheduled' };
  if (req.url?.startsWith('/status/incidents')) return { id: 'i1', status: 'investigating' };
  return {};
}

beforeAll(async () => {
  fake = createServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization });
    req.resume().on('end', () => res.setHeader('content-type', 'application/json').end(JSON.stringify(answer(req))));
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
  port = (fake.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => fake.close(() => r())));

describe('client commands name their server and key one way', () => {
  it.each([
    ['alerts', ['status', 'alerts'], 'GET /status/alerts'],
    [
      'maintenance',
      ['status', 'maintenance', '--name', 'n', '--from', '2030-01-01T00:00Z', '--until', '2030-01-01T01:00Z'],
      'POST /status/maintenances',
    ],
    ['incident open', ['status', 'incident', 'open', '--name', 'n', '--message', 'm'], 'POST /status/incidents'],
    ['incident resolve', ['status', 'incident', 'resolve', 'i1'], 'POST /status/incidents/i1/updates'],
  ])('status %s honours --server, and --port', async (_name, args, request) => {
    for (const where of [
      ['--server', `http://127.0.0.1:${port}`],
      ['--port', String(port)],
    ]) {
      seen.length = 0;
      const out = await runCli([...args, ...where, '--api-key', 'operator-key'], hermeticEnv());
      expect(out.stderr).toBe('');
      expect(out.code).toBe(0);
      expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual([request]);
      expect(seen[0]!.authorization).toBe('operator-key');
    }
  });

  it('takes the server and key from EARSHOT_URL and EARSHOT_API_KEY', async () => {
    seen.length = 0;
    const out = await runCli(['status', 'alerts'], hermeticEnv({ EARSHOT_URL: `http://127.0.0.1:${port}`, EARSHOT_API_KEY: 'env-key' }));
    expect(out.code, out.stderr).toBe(0);
    expect(seen[0]!.authorization).toBe('env-key');
  });

  it('doctor sends EARSHOT_API_KEY, the variable its fix lines name', async () => {
    seen.length = 0;
    const out = await runCli(
      ['doctor', '--only', 'auth', '--json'],
      hermeticEnv({ EARSHOT_URL: `http://127.0.0.1:${port}`, EARSHOT_API_KEY: 'doctor-key' }),
    );
    expect(out.stderr).toBe('');
    expect(seen.some((r) => r.authorization === 'doctor-key')).toBe(true);
    const old = await runCli(
      ['doctor', '--only', 'auth', '--json', '--base-url', `http://127.0.0.1:${port}`],
      hermeticEnv({ EARSHOT_KEY: 'old-key' }),
    );
    expect(old.stderr).toBe('earshot: --base-url is deprecated; use --server\nearshot: EARSHOT_KEY is deprecated; use EARSHOT_API_KEY\n');
    expect(seen.some((r) => r.authorization === 'old-key')).toBe(true);
  });

  it.each([['ask'], ['status'], ['status', 'alerts'], ['status', 'incident', 'open'], ['stream'], ['keys', 'list'], ['keys', 'create']])(
    '%s --help describes client flags, with examples',
    async (...cmd) => {
      const out = await runCli([...cmd, '--help'], hermeticEnv());
      expect(out.code).toBe(0);
      expect(out.stdout).not.toContain('Address to listen on');
      expect(out.stdout).toContain('--server <url>');
      expect(out.stdout).toContain('--api-key <key>');
      expect(out.stdout).toMatch(/Examples:\n {2}\$ earshot /);
    },
  );

  it.each([
    ['serve'],
    ['transcribe'],
    ['models'],
    ['models', 'list'],
    ['models', 'pull'],
    ['models', 'rm'],
    ['keys'],
    ['keys', 'revoke'],
    ['doctor'],
  ])('%s --help has examples', async (...cmd) => {
    const out = await runCli([...cmd, '--help'], hermeticEnv());
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(new RegExp(`Examples:\\n {2}\\$ (\\S+=\\S+ )?earshot ${cmd.join(' ')}`));
  });

  it('doctor --server and ask --port reach the server named', async () => {
    seen.length = 0;
    const doctor = await runCli(
      ['doctor', '--only', 'auth', '--json', '--server', `http://127.0.0.1:${port}`, '--api-key', 'd'],
      hermeticEnv(),
    );
    expect(doctor.stderr).toBe('');
    expect(seen.some((r) => r.authorization === 'd')).toBe(true);
    seen.length = 0;
    const ask = await runCli(['ask', 't1', 'Why?', '--port', String(port), '--api-key', 'a'], hermeticEnv());
    expect(ask.code, ask.stderr).toBe(0);
    expect(seen).toEqual([{ method: 'POST', url: '/lemur/v3/generate/question-answer', authorization: 'a' }]);
  });
});
