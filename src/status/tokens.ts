import { createHmac, timingSafeEqual } from 'node:crypto';

export type TokenPurpose = 'confirm' | 'unsubscribe';

const mac = (secret: string, purpose: TokenPurpose, id: string) =>
  createHmac('sha256', secret).update(`${purpose}:${id}`).digest('base64url').slice(0, 32);

/** `<subscriber id>.<MAC>`: links in emails carry no state of their own, and cannot be forged or reused for another purpose. */
export function makeToken(secret: string, purpose: TokenPurpose, id: string): string {
  return `${id}.${mac(secret, purpose, id)}`;
}

/** The subscriber id in a valid token, else null. */
export function readToken(secret: string, purpose: TokenPurpose, token: string): string | null {
  const dot = token.indexOf('.');
  if (dot <= 0) return null;
  const id = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1));
  const expected = Buffer.from(mac(secret, purpose, id));
  return given.length === expected.length && timingSafeEqual(given, expected) ? id : null;
}
