import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/db/index.js';
import { projectForKey } from '../../src/storage/keys.js';
import { freshDb, type TestDb } from '../helpers/db.js';
import { runCli, startServer, STORAGE_MODES, type TestServer } from '../helpers/server.js';

const KEY_LINE = /^[0-9a-f]{32}\n$/;

describe.each(STORAGE_MODES)('earshot keys (%s)', (storage) => {
  let dataDir: string;
  let pgDb: TestDb | null = null;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    if (storage === 'postgres') {
      pgDb = await freshDb('postgres');
      dataDir = pgDb.dataDir;
    } else {
      dataDir = mkdtempSync(path.join(os.tmpdir(), 'earshot-cli-keys-'));
    }
    const { DATABASE_URL: _unused, EARSHOT_API_KEY: _unusedKey, ...rest } = process.env;
    env = { ...rest, EARSHOT_DATA_DIR: dataDir, EARSHOT_LOG_LEVEL: 'warn', ...(pgDb ? { DATABASE_URL: pgDb.databaseUrl! } : {}) };
  });

  afterAll(async () => {
    if (pgDb) await pgDb.drop();
    else rmSync(dataDir, { recursive: true, force: true });
  });

  /** Runs `fn` on the database the CLI uses (PGlite: opened only while no CLI runs). */
  async function inDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    if (pgDb) return fn(pgDb.db);
    const db = await openDb({ dataDir, databaseUrl: null });
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  }

  const cli = (...args: string[]) => runCli(args, env);

  async function create(...args: string[]): Promise<string> {
    const out = await cli('keys', 'create', ...args);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(KEY_LINE);
    return out.stdout.trim();
  }

  it('create prints the new key alone on stdout, and where it went on stderr', async () => {
    const out = await cli('keys', 'create', '--project', 'other', '--name', 'laptop');
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(KEY_LINE);
    expect(out.stderr).toMatch(/^Key [0-9a-f-]{36} created in project "other"\. It will not be shown again\.\n$/);
    const key = out.stdout.trim();
    const found = await inDb(async (db) => {
      const projectId = await projectForKey(db, key);
      const { rows } = await db.query<{ name: string }>('select name from projects where id = $1', [projectId]);
      const stored = await db.query('select * from api_keys');
      return { projectId, project: rows[0]?.name, dump: JSON.stringify(stored.rows) };
    });
    expect(found.projectId).not.toBeNull();
    expect(found.project).toBe('other');
    expect(found.dump).not.toContain(key);
  });

  it('create defaults to project "default" and makes a different key each time', async () => {
    const a = await create();
    const b = await create();
    expect(a).not.toBe(b);
    const projects = await inDb(async (db) => [await projectForKey(db, a), await projectForKey(db, b)]);
    expect(projects[0]).not.toBeNull();
    expect(projects[0]).toBe(projects[1]);
    const list = await cli('keys', 'list', '--json');
    const rows = JSON.parse(list.stdout) as { project: string; key_prefix: string }[];
    expect(rows.find((r) => r.key_prefix === a.slice(0, 6))?.project).toBe('default');
  });

  it('list shows id, prefix, project, name and state, but never a whole key', async () => {
    const key = await create('--project', 'listed', '--name', 'ci-runner');
    const out = await cli('keys', 'list');
    expect(out.code, out.stderr).toBe(0);
    const line = out.stdout.split('\n').find((l) => l.includes(`${key.slice(0, 6)}…`));
    expect(line).toBeDefined();
    expect(line).toMatch(/^[0-9a-f-]{36} {2}[0-9a-f]{6}… {2}listed\s+ci-runner\s+active$/);
    expect(out.stdout).not.toContain(key);
    expect(out.stdout).not.toContain(key.slice(0, 7));
  });

  it('list --json gives the fields as JSON, without keys or hashes', async () => {
    const key = await create('--project', 'json');
    const out = await cli('keys', 'list', '--json');
    expect(out.code, out.stderr).toBe(0);
    const rows = JSON.parse(out.stdout) as Record<string, unknown>[];
    const row = rows.find((r) => r.key_prefix === key.slice(0, 6))!;
    expect(Object.keys(row).sort()).toEqual(['created_at', 'id', 'key_prefix', 'name', 'project', 'project_id', 'revoked_at']);
    expect(row).toMatchObject({ project: 'json', name: 'key', revoked_at: null });
    expect(out.stdout).not.toContain(key);
    expect(out.stdout).not.toContain(key.slice(0, 7));
  });

  it('revoke by id stops the key, shows it revoked, and fails on a second try', async () => {
    const key = await create('--project', 'revoking');
    const other = await create('--project', 'revoking');
    const rows = JSON.parse((await cli('keys', 'list', '--json')).stdout) as { id: string; key_prefix: string }[];
    const id = rows.find((r) => r.key_prefix === key.slice(0, 6))!.id;

    const out = await cli('keys', 'revoke', id);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toBe('Revoked.\n');
    expect(await inDb((db) => projectForKey(db, key))).toBeNull();
    expect(await inDb((db) => projectForKey(db, other))).not.toBeNull();

    const list = await cli('keys', 'list');
    const line = list.stdout.split('\n').find((l) => l.startsWith(id))!;
    expect(line).toMatch(/revoked \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const again = await cli('keys', 'revoke', id);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`No active key matches "${id}".\n`);
    expect(again.stdout).toBe('');
  });

  it('revoke accepts the key itself', async () => {
    const key = await create('--project', 'revoking');
    const out = await cli('keys', 'revoke', key);
    expect(out.code, out.stderr).toBe(0);
    expect(await inDb((db) => projectForKey(db, key))).toBeNull();
  });

  it('revoke of an unknown key exits 1', async () => {
    const out = await cli('keys', 'revoke', 'ffffffffffffffffffffffffffffffff');
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('No active key matches');
  });

  it('takes --data-dir / --database-url flags as well as the environment', async () => {
    const { EARSHOT_DATA_DIR: _d, DATABASE_URL: _u, ...bare } = env;
    const flags = pgDb ? ['--database-url', pgDb.databaseUrl!] : ['--data-dir', dataDir];
    const out = await runCli(['keys', 'create', '--project', 'flagged', ...flags], bare);
    expect(out.code, out.stderr).toBe(0);
    const key = out.stdout.trim();
    expect(await inDb((db) => projectForKey(db, key))).not.toBeNull();
  });
});

describe('earshot keys on an embedded database in use', () => {
  it('without a key, refuses with a clear message instead of opening it twice', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'earshot-cli-locked-'));
    const db = await openDb({ dataDir, databaseUrl: null }); // this process now holds the data dir, like a running server
    try {
      const { DATABASE_URL: _u, EARSHOT_API_KEY: _k, EARSHOT_URL: _s, ...rest } = process.env;
      const out = await runCli(['keys', 'create', '--project', 'x'], { ...rest, EARSHOT_DATA_DIR: dataDir, EARSHOT_PORT: '1' });
      expect(out.code).not.toBe(0);
      expect(out.stdout).toBe('');
      expect(out.stderr).toContain('is in use by another Earshot process');
      expect(out.stderr).toContain(`pid ${process.pid}`);
      expect(out.stderr).toContain(
        'To go through that server (http://127.0.0.1:1), give a key of its "default" project: --api-key KEY or EARSHOT_API_KEY',
      );
    } finally {
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('earshot keys beside a running server on the embedded database', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server?.destroy());

  const works = async (key: string) => (await fetch(`${server.url}/v2/transcript?limit=1`, { headers: { authorization: key } })).status;

  it('create, list and revoke go through the server with its key', async () => {
    const created = await server.cli(['keys', 'create', '--project', 'beside', '--name', 'laptop']);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(KEY_LINE);
    expect(created.stderr).toMatch(/^Key [0-9a-f-]{36} created in project "beside"\. It will not be shown again\.\n$/);
    const key = created.stdout.trim();
    expect(await works(key)).toBe(200);

    const list = await server.cli(['keys', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const rows = JSON.parse(list.stdout) as Record<string, unknown>[];
    const row = rows.find((r) => r.key_prefix === key.slice(0, 6))!;
    expect(Object.keys(row).sort()).toEqual(['created_at', 'id', 'key_prefix', 'name', 'project', 'project_id', 'revoked_at']);
    expect(row).toMatchObject({ project: 'beside', name: 'laptop', revoked_at: null });
    expect(rows.some((r) => r.project === 'default')).toBe(true);
    const text = await server.cli(['keys', 'list']);
    expect(text.stdout).toMatch(new RegExp(`^${row.id}  ${key.slice(0, 6)}…  beside\\s+laptop\\s+active$`, 'm'));

    const revoked = await server.cli(['keys', 'revoke', row.id as string]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toBe('Revoked.\n');
    expect(await works(key)).toBe(401);
  });

  it("refuses another project's key for other projects, through --server too", async () => {
    const key = (await server.cli(['keys', 'create', '--project', 'tenant'])).stdout.trim();
    const { EARSHOT_API_KEY: _k, ...env } = server.env;
    for (const args of [
      ['keys', 'create', '--api-key', key],
      ['keys', 'list', '--server', server.url, '--api-key', key],
    ]) {
      const out = await runCli(args, env);
      expect(out.code).toBe(1);
      expect(out.stdout).toBe('');
      expect(out.stderr).toMatch(
        /403: Only keys of the server's own project \("default"\) may (create keys in another project|list every project's keys)/,
      );
    }
    // Its own project is its to manage.
    const own = await runCli(['keys', 'create', '--project', 'tenant', '--api-key', key], env);
    expect(own.code, own.stderr).toBe(0);
    expect(await works(own.stdout.trim())).toBe(200);
  });

  it('says how to go through the server when no key is given', async () => {
    const { EARSHOT_API_KEY: _k, ...env } = server.env;
    const out = await runCli(['keys', 'list'], env);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('is in use by another Earshot process');
    expect(out.stderr).toContain(`To go through that server (${server.url})`);
  });
});
