import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Queryable } from '../db/index.js';
import { activeKeyRow, hashKey } from '../storage/keys.js';

/**
 * Signed, expiring URLs for media a browser loads by itself (`<audio src>` sends no Authorization
 * header). A token is `<key id>.<expiry>.<signature>`, signed with the stored hash of the key that
 * asked for it: nothing to store, valid on every node sharing the database, and dead as soon as
 * that key is revoked. It grants one resource (one transcript's audio) only.
 */
export const MEDIA_TOKEN_SECONDS = 4 * 3600;

const sign = (keyHash: string, resource: string, expires: number) =>
  createHmac('sha256', keyHash).update(`earshot-media\n${resource}\n${expires}`).digest('base64url');

/** A token for `resource`, signed for the key in `apiKey`; null if that key is unknown or revoked. */
export async function createMediaToken(
  db: Queryable,
  apiKey: string,
  resource: string,
  now = Date.now(),
): Promise<{ token: string; expiresAt: Date } | null> {
  const key = await activeKeyRow(db, { hash: hashKey(apiKey) });
  if (!key) return null;
  const expires = Math.floor(now / 1000) + MEDIA_TOKEN_SECONDS;
  return { token: `${key.id}.${expires}.${sign(key.key_hash, resource, expires)}`, expiresAt: new Date(expires * 1000) };
}

/** The project a valid, unexpired token for `resource` belongs to, else null. */
export async function verifyMediaToken(db: Queryable, token: string, resource: string, now = Date.now()): Promise<string | null> {
  const m = /^([0-9a-f-]{36})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return null;
  const expires = Number(m[2]);
  if (expires * 1000 <= now) return null;
  const key = await activeKeyRow(db, { id: m[1]! });
  if (!key) return null;
  const expected = Buffer.from(sign(key.key_hash, resource, expires));
  const given = Buffer.from(m[3]!);
  return given.length === expected.length && timingSafeEqual(given, expected) ? key.project_id : null;
}
