import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Queryable } from '../db/index.js';

export interface ApiKeyInfo {
  id: string;
  project_id: string;
  project: string;
  name: string;
  key_prefix: string;
  created_at: Date;
  revoked_at: Date | null;
}

/** Keys are random, so a fast hash is enough: it only has to keep a stolen database from yielding keys. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** 32 lowercase hex characters, the same shape as AssemblyAI's keys, so clients that check the shape accept it. */
function generateKey(): string {
  return randomBytes(16).toString('hex');
}

async function ensureProject(db: Queryable, name: string): Promise<string> {
  const found = await db.query<{ id: string }>('select id from projects where name = $1', [name]);
  if (found.rows[0]) return found.rows[0].id;
  const id = randomUUID();
  await db.query('insert into projects (id, name) values ($1, $2)', [id, name]);
  return id;
}

/** Stores a key (given, or generated) in a project (created if new) and returns the key in clear, the only time it is known. */
export async function createKey(db: Queryable, opts: { project?: string; name?: string; key?: string } = {}): Promise<{ key: string; id: string; project_id: string }> {
  const key = opts.key ?? generateKey();
  const projectId = await ensureProject(db, opts.project ?? 'default');
  // A key that already exists (EARSHOT_API_KEY on every start) keeps its row, id and project.
  const { rows } = await db.query<{ id: string; project_id: string }>(
    `insert into api_keys (id, project_id, name, key_hash, key_prefix) values ($1, $2, $3, $4, $5)
     on conflict (key_hash) do update set key_hash = excluded.key_hash returning id, project_id`,
    [randomUUID(), projectId, opts.name ?? 'key', hashKey(key), key.slice(0, 6)],
  );
  return { key, id: rows[0]!.id, project_id: rows[0]!.project_id };
}

export async function listKeys(db: Queryable): Promise<ApiKeyInfo[]> {
  const { rows } = await db.query<ApiKeyInfo>(
    `select k.id, k.project_id, p.name as project, k.name, k.key_prefix, k.created_at, k.revoked_at
       from api_keys k join projects p on p.id = k.project_id order by k.created_at`,
  );
  return rows;
}

/** Revokes by key id or by the key itself. Returns whether anything was revoked. */
export async function revokeKey(db: Queryable, idOrKey: string): Promise<boolean> {
  const { rows } = await db.query(
    `update api_keys set revoked_at = now()
      where revoked_at is null and (id::text = lower($1) or key_hash = $2) returning id`,
    [idOrKey, hashKey(idOrKey)],
  );
  return rows.length > 0;
}

export async function countActiveKeys(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>('select count(*)::int as n from api_keys where revoked_at is null');
  return rows[0]!.n;
}

/** The project a key belongs to, or null for an unknown or revoked key. */
export async function projectForKey(db: Queryable, key: string): Promise<string | null> {
  const { rows } = await db.query<{ project_id: string }>(
    'select project_id from api_keys where key_hash = $1 and revoked_at is null',
    [hashKey(key)],
  );
  return rows[0]?.project_id ?? null;
}
