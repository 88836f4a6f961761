import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processAlive } from '../../src/process-alive.js';
import { api, startServer, type TestServer } from '../helpers/server.js';

const BIN = fileURLToPath(new URL('../../bin/earshot.js', import.meta.url));

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 60_000): Promise<void> {
  for (const deadline = Date.now() + ms; !(await check()); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const stateOf = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
};

/** The embedded database's data-dir lock lets a restart in right after kill -9, and still keeps a second live process out. */
describe('restart right after kill -9 (PGlite)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({ storage: 'pglite' });
  });
  afterAll(async () => {
    await server?.destroy();
  });

  it('a second process on the same data dir is refused while the first runs', async () => {
    const out = await server.cli(['keys', 'list']);
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain(`is in use by another Earshot process (pid ${server.process.pid})`);
  });

  it('starts at once after kill -9, and serves', async () => {
    await server.kill();
    await server.restart();
    expect((await api(server, '/v2/transcript')).status).toBe(200);
  });

  it('starts while the killed process is a zombie its parent has not reaped', async () => {
    await server.stop();
    // A parent that never waits for its children: sh starts Earshot in the background, then becomes sleep.
    const parent = spawn('sh', ['-c', `"${process.execPath}" "${BIN}" serve >/dev/null 2>&1 & echo $!; exec sleep 600`], { env: server.env, stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number(await new Promise<string>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(d.toString()))));
      await until('the orphan-to-be to serve', () => fetch(new URL('/health', server.url)).then((r) => r.ok, () => false));
      process.kill(pid, 'SIGKILL');
      await until('a zombie', () => stateOf(pid) === 'Z');
      expect(processAlive(pid)).toBe(false);
      await server.restart();
      expect((await api(server, '/v2/transcript')).status).toBe(200);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
