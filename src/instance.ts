import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * This process among the nodes of a fleet: random, not hostname + pid (containers all run as pid 1
 * under one hostname).
 */
export const instanceId = randomUUID();

/** Earshot's version, from the nearest package.json above this file (dist/, the sources, or the benchmarks' build). */
function packageVersion(): string {
  for (let dir = new URL('./', import.meta.url); ; dir = new URL('../', dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'earshot') return pkg.version;
    } catch {
      // not here: look one folder up
    }
    if (dir.pathname === '/') throw new Error(`package.json of earshot not found above ${import.meta.url}`);
  }
}

export const version = packageVersion();
