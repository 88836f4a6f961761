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

/** One statement on the unique name: processes adding the same project at once all get the one row. */
export async function ensureProject(db: Queryable, name: string): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    'insert into projects (id, name) values ($1, $2) on conflict (name) do update set name = excluded.name returning id',
    [randomUUID(), name],
  );
  return rows[0]!.id;
}

/** Stores a key (given, or generated) in a project (created if new) and returns the key in clear, the only time it is known. */
export async function createKey(
  db: Queryable,
  opts: { project?: string; name?: string; key?: string } = {},
): Promise<{ key: string; id: string; project_id: string }> {
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

/** Operators are the keys of the server's own project ("default", where EARSHOT_API_KEY and the first key live). */
export async function isOperatorProject(db: Queryable, projectId: string): Promise<boolean> {
  const { rows } = await db.query<{ name: string }>('select name from projects where id = $1', [projectId]);
  return rows[0]?.name === 'default';
}

export async function countActiveKeys(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>('select count(*)::int as n from api_keys where revoked_at is null');
  return rows[0]!.n;
}

/** The project a key belongs to, or null for an unknown or revoked key. */
export async function projectForKey(db: Queryable, key: string): Promise<string | null> {
  const { rows } = await db.query<{ project_id: string }>('select project_id from api_keys where key_hash = $1 and revoked_at is null', [
    hashKey(key),
  ]);
  return rows[0]?.project_id ?? null;
}

/** What a project's own keys may see of each other (the console's key page): never the hash. */
export interface ProjectKey {
  id: string;
  name: string;
  key_prefix: string;
  created_at: Date;
  revoked_at: Date | null;
}

export async function listProjectKeys(db: Queryable, projectId: string): Promise<ProjectKey[]> {
  const { rows } = await db.query<ProjectKey>(
    'select id, name, key_prefix, created_at, revoked_at from api_keys where project_id = $1 order by created_at, id',
    [projectId],
  );
  return rows;
}

/** Creates a generated key in an existing project; the key in clear is returned this once. */
export async function createProjectKey(db: Queryable, projectId: string, name: string): Promise<ProjectKey & { key: string }> {
  const key = generateKey();
  const { rows } = await db.query<ProjectKey>(
    `insert into api_keys (id, project_id, name, key_hash, key_prefix) values ($1, $2, $3, $4, $5)
     returning id, name, key_prefix, created_at, revoked_at`,
    [randomUUID(), projectId, name, hashKey(key), key.slice(0, 6)],
  );
  return { ...rows[0]!, key };
}

/** Revokes a key of this project by id. Returns whether a key was found (revoking twice is not an error). */
export async function revokeProjectKey(db: Queryable, projectId: string, id: string): Promise<boolean> {
  const { rows } = await db.query(
    `update api_keys set revoked_at = coalesce(revoked_at, now()) where project_id = $1 and id::text = lower($2) returning id`,
    [projectId, id],
  );
  return rows.length > 0;
}

/** An active key's row by its hash or its id, for signing and checking media URLs. */
export async function activeKeyRow(
  db: Queryable,
  by: { hash: string } | { id: string },
): Promise<{ id: string; project_id: string; key_hash: string } | null> {
  const { rows } = await db.query<{ id: string; project_id: string; key_hash: string }>(
    `select id, project_id, key_hash from api_keys where revoked_at is null and ${'hash' in by ? 'key_hash = $1' : 'id::text = lower($1)'}`,
    ['hash' in by ? by.hash : by.id],
  );
  return rows[0] ?? null;
}
