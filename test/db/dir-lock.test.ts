import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockFile } from '../../src/db/dir-lock.js';
import { processAlive } from '../../src/process-alive.js';
import { api, runCli, startServer, type TestServer } from '../helpers/server.js';

const BIN = fileURLToPath(new URL('../../bin/earshot.js', import.meta.url));
const DIST_LOCK = fileURLToPath(new URL('../../dist/db/dir-lock.js', import.meta.url));

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

const inUse = (holder: string) => new Error(`held by pid ${holder}`);

describe('lockFile', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'earshot-lock-'));
  const file = path.join(dir, 'db.pid');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A process (under `sh`, which becomes `sleep` and never reaps it) that takes the lock and keeps it. */
  async function holder(): Promise<{ pid: number; parent: ReturnType<typeof spawn> }> {
    const script = `import(${JSON.stringify(DIST_LOCK)}).then((m) => { m.lockFile(${JSON.stringify(file)}, () => new Error('busy')); console.log('locked'); setInterval(() => {}, 1e6); })`;
    const parent = spawn('sh', ['-c', `"${process.execPath}" -e "$HOLDER" & echo $!; exec sleep 600`], {
      env: { ...process.env, HOLDER: script },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    parent.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await until('the holder to lock', () => /locked/.test(out));
    return { pid: Number(out.split('\n')[0]), parent };
  }

  it('keeps a second holder out while the first lives, naming its pid, and lets one in right after kill -9', async () => {
    const { pid, parent } = await holder();
    try {
      expect(() => lockFile(file, inUse)).toThrow(`held by pid ${pid}`);
      process.kill(pid, 'SIGKILL');
      await until('a zombie', () => stateOf(pid) === 'Z');
      // Dead but not reaped: signal 0 still reaches it, the lock is free.
      expect(processAlive(pid)).toBe(false);
      // The kernel lets go once the last thread has exited, a few ms after the leader turns Z; its parent never reaps it.
      let unlock: (() => void) | undefined;
      const tryLock = () => {
        try {
          unlock = lockFile(file, inUse);
          return true;
        } catch {
          return false;
        }
      };
      await until('the lock to be free', tryLock, 5000);
      expect(stateOf(pid)).toBe('Z');
      expect(readFileSync(file, 'utf8')).toBe(String(process.pid));
      unlock!();
    } finally {
      parent.kill('SIGKILL');
    }
  });
});

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
    // Without a key the CLI opens the data dir itself (with one it would go through the server).
    const { EARSHOT_API_KEY: _k, EARSHOT_URL: _u, ...env } = server.env;
    const out = await runCli(['keys', 'list'], env);
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
    const parent = spawn('sh', ['-c', `"${process.execPath}" "${BIN}" serve >/dev/null 2>&1 & echo $!; exec sleep 600`], {
      env: server.env,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      const pid = Number(await new Promise<string>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(d.toString()))));
      await until('the orphan-to-be to serve', () =>
        fetch(new URL('/health', server.url)).then(
          (r) => r.ok,
          () => false,
        ),
      );
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
