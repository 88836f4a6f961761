import { randomBytes } from 'node:crypto';
import type { Queryable } from '../db/index.js';
import { hashKey } from './keys.js';

/** A temporary streaming token's grant, once redeemed. */
export interface TokenGrant {
  projectId: string;
  maxSessionSeconds: number;
}

/** Creates a single-use token that must be redeemed within `expiresInSeconds`. Stored hashed, like keys. */
export async function createStreamingToken(
  db: Queryable,
  projectId: string,
  opts: { expiresInSeconds: number; maxSessionSeconds: number },
): Promise<string> {
  const token = randomBytes(32).toString('hex');
  await db.query(
    `insert into streaming_tokens (token_hash, project_id, expires_at, max_session_seconds)
     values ($1, $2, now() + $3::float8 * interval '1 second', $4)`,
    [hashKey(token), projectId, opts.expiresInSeconds, opts.maxSessionSeconds],
  );
  return token;
}

/** Marks the token used and returns its grant; null if unknown, expired or already used. */
export async function redeemStreamingToken(db: Queryable, token: string): Promise<TokenGrant | null> {
  const { rows } = await db.query<{ project_id: string; max_session_seconds: number }>(
    `update streaming_tokens set used_at = now()
      where token_hash = $1 and used_at is null and expires_at > now()
      returning project_id, max_session_seconds`,
    [hashKey(token)],
  );
  const row = rows[0];
  return row ? { projectId: row.project_id, maxSessionSeconds: row.max_session_seconds } : null;
}

/** Makes a redeemed token usable again: its session was refused before it began (the fleet was full). */
export async function restoreStreamingToken(db: Queryable, token: string): Promise<void> {
  await db.query('update streaming_tokens set used_at = null where token_hash = $1', [hashKey(token)]);
}

/** Forgets tokens that can no longer be redeemed. */
export async function removeExpiredStreamingTokens(db: Queryable): Promise<number> {
  const { rows } = await db.query(`delete from streaming_tokens where expires_at < now() - interval '1 hour' returning 1`);
  return rows.length;
}
