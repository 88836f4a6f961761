import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/index.js';
import { hashKey, projectForKey } from '../storage/keys.js';
import { errors } from './errors.js';

/** How long a key lookup is trusted; a revoked key stops working within this time. */
const CACHE_MS = 5_000;

/**
 * Reads the API key from `Authorization` (AssemblyAI's raw-key form, and the `Bearer` form many
 * clients send by habit) and resolves it to a project. Lookups are cached briefly: polling clients
 * hit this on every request.
 */
export class Authenticator {
  private readonly cache = new Map<string, { projectId: string | null; until: number }>();

  constructor(private readonly db: Db) {}

  static keyFrom(header: string | string[] | undefined): string | null {
    const raw = Array.isArray(header) ? header[0] : header;
    if (!raw) return null;
    const key = raw
      .trim()
      .replace(/^bearer\s+/i, '')
      .trim();
    return key === '' ? null : key;
  }

  async projectFor(key: string): Promise<string | null> {
    const hash = hashKey(key);
    const now = Date.now();
    const hit = this.cache.get(hash);
    if (hit && hit.until > now) return hit.projectId;
    const projectId = await projectForKey(this.db, key);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { projectId, until: now + CACHE_MS });
    return projectId;
  }

  /** Forgets every cached lookup: a key revoked here stops working here at once (other nodes: within CACHE_MS). */
  forgetAll(): void {
    this.cache.clear();
  }

  /** The request's project, or a 401 in upstream's words. */
  async require(request: FastifyRequest): Promise<string> {
    const key = Authenticator.keyFrom(request.headers.authorization);
    const projectId = key ? await this.projectFor(key) : null;
    if (!projectId) throw errors.unauthorized();
    return projectId;
  }
}
