import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { countActiveKeys, createKey, hashKey, listKeys, projectForKey, revokeKey } from '../../src/storage/keys.js';
import { freshDb } from '../helpers/db.js';
import { STORAGE_MODES } from '../helpers/server.js';

describe.each(STORAGE_MODES)('API keys (%s)', (storage) => {
  let db: Db;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    ({ db, drop } = await freshDb(storage));
  });
  afterAll(async () => {
    await drop?.();
  });

  it('generates 32-character lowercase hex keys, different each time', async () => {
    const a = await createKey(db);
    const b = await createKey(db);
    expect(a.key).toMatch(/^[0-9a-f]{32}$/);
    expect(b.key).toMatch(/^[0-9a-f]{32}$/);
    expect(a.key).not.toBe(b.key);
  });

  it('stores only a hash and a short prefix, never the key itself', async () => {
    const { key, id } = await createKey(db, { project: 'hashing', name: 'ci' });
    const { rows } = await db.query<Record<string, unknown>>('select * from api_keys where id = $1', [id]);
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.key_hash).toBe(hashKey(key));
    expect(row.key_hash).not.toContain(key);
    expect(row.key_prefix).toBe(key.slice(0, 6));
    expect(row.name).toBe('ci');
    // No column holds the key, or more of it than the prefix.
    for (const value of Object.values(row)) expect(String(value)).not.toContain(key.slice(0, 7));
    const dump = JSON.stringify((await db.query('select * from api_keys')).rows);
    expect(dump).not.toContain(key);
  });

  it('hashes with SHA-256', () => {
    expect(hashKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('resolves a key to its project, and unknown keys to null', async () => {
    const { key, project_id } = await createKey(db, { project: 'resolve' });
    expect(await projectForKey(db, key)).toBe(project_id);
    expect(await projectForKey(db, key.toUpperCase())).toBeNull();
    expect(await projectForKey(db, `${key}x`)).toBeNull();
    expect(await projectForKey(db, '')).toBeNull();
  });

  it('keeps projects separate, and puts keys of one project name in one project', async () => {
    const a1 = await createKey(db, { project: 'alpha' });
    const a2 = await createKey(db, { project: 'alpha' });
    const b = await createKey(db, { project: 'beta' });
    expect(a1.project_id).toBe(a2.project_id);
    expect(b.project_id).not.toBe(a1.project_id);
    expect(await projectForKey(db, a2.key)).toBe(a1.project_id);
    expect(await projectForKey(db, b.key)).toBe(b.project_id);
    const { rows } = await db.query<{ n: number }>("select count(*)::int as n from projects where name in ('alpha', 'beta')");
    expect(rows[0]!.n).toBe(2);
  });

  it('puts keys without a project in "default"', async () => {
    const { id, project_id } = await createKey(db);
    const info = (await listKeys(db)).find((k) => k.id === id)!;
    expect(info).toMatchObject({ project: 'default', project_id, revoked_at: null });
  });

  it('accepts a given key, once', async () => {
    const given = randomBytes(16).toString('hex');
    const first = await createKey(db, { key: given, project: 'given' });
    expect(first.key).toBe(given);
    expect(await projectForKey(db, given)).toBe(first.project_id);
    const before = (await listKeys(db)).length;
    await createKey(db, { key: given, project: 'given' });
    expect((await listKeys(db)).length).toBe(before);
  });

  it('revokes by id: the key stops resolving and cannot be revoked twice', async () => {
    const { key, id } = await createKey(db, { project: 'revoke' });
    const other = await createKey(db, { project: 'revoke' });
    const active = await countActiveKeys(db);
    expect(await revokeKey(db, id)).toBe(true);
    expect(await projectForKey(db, key)).toBeNull();
    expect(await projectForKey(db, other.key)).toBe(other.project_id);
    expect(await countActiveKeys(db)).toBe(active - 1);
    expect(await revokeKey(db, id)).toBe(false);
    const info = (await listKeys(db)).find((k) => k.id === id)!;
    expect(info.revoked_at).toBeInstanceOf(Date);
  });

  it('revokes by the key itself', async () => {
    const { key } = await createKey(db, { project: 'revoke' });
    expect(await revokeKey(db, key)).toBe(true);
    expect(await projectForKey(db, key)).toBeNull();
  });

  it('revokes nothing for an unknown id or key', async () => {
    const active = await countActiveKeys(db);
    expect(await revokeKey(db, 'no-such-key')).toBe(false);
    expect(await revokeKey(db, '00000000-0000-0000-0000-000000000000')).toBe(false);
    expect(await countActiveKeys(db)).toBe(active);
  });

  it('lists keys with project name and prefix, oldest first, without hashes', async () => {
    const { key, id } = await createKey(db, { project: 'listing', name: 'laptop' });
    const list = await listKeys(db);
    const info = list.find((k) => k.id === id)!;
    expect(info).toMatchObject({ project: 'listing', name: 'laptop', key_prefix: key.slice(0, 6), revoked_at: null });
    expect(info.created_at).toBeInstanceOf(Date);
    expect(info).not.toHaveProperty('key_hash');
    expect(JSON.stringify(list)).not.toContain(key);
    const times = list.map((k) => k.created_at.getTime());
    expect(times).toEqual([...times].sort((x, y) => x - y));
  });
});
