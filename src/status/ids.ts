import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** A 12-character lowercase id, the shape Statuspage gives pages, components and incidents. */
export function newId(): string {
  const bytes = randomBytes(12);
  let out = '';
  for (const b of bytes) out += ALPHABET[b % 36];
  return out;
}
