import type { FastifyRequest } from 'fastify';
import { isConnectionLoss, type Db } from '../db/index.js';
import { hashKey, projectForKey } from '../storage/keys.js';
import { errors } from './errors.js';

/** How long a key lookup is trusted; a revoked key stops working within this time. */
const CACHE_MS = 5_000;

/**
 * Reads the API key from `Authorization` (AssemblyAI's raw-key form, and the `Bearer` form many
 * clients send by habit) and resolves it to a project. Lookups are cached briefly: polling clients
 * hit this on every request. While the database cannot be reached, a key this process has already
 * seen keeps its last answer, so what needs no database (a live session on an API key) goes on
 * working through an outage; no key can be created or revoked meanwhile, so the answer still holds.
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
    let projectId: string | null;
    try {
      projectId = await projectForKey(this.db, key);
    } catch (err) {
      if (hit && isConnectionLoss(err)) return hit.projectId;
      throw err;
    }
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
