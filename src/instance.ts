import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * This process among the nodes of a fleet: random, not hostname + pid (containers all run as pid 1
 * under one hostname).
 */
export const instanceId = randomUUID();

export const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
