import { statfs } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../context.js';
import { DatabaseUnavailableError } from '../db/index.js';
import { within } from '../status/deadline.js';
import { API_ROUTES } from '../http/api-routes.js';

/** A load balancer's probe must get an answer quickly, whatever the database does. */
const DATABASE_DEADLINE_MS = 2000;

interface Check {
  status: 'ok' | 'error';
  /** What is wrong, in words safe to show anyone (no addresses or paths: the route is public). */
  error?: string;
  [detail: string]: unknown;
}

async function checkDatabase(ctx: AppContext): Promise<Check> {
  const started = performance.now();
  try {
    await within(DATABASE_DEADLINE_MS, ctx.db.query('select 1'), 'database');
    return { status: 'ok', latency_ms: Math.round(performance.now() - started) };
  } catch (err) {
    ctx.log.warn({ err }, 'health: database check failed');
    if (err instanceof DatabaseUnavailableError) return { status: 'error', error: 'cannot be reached' };
    if (/no answer within/.test((err as Error).message)) return { status: 'error', error: `no answer within ${DATABASE_DEADLINE_MS} ms` };
    return { status: 'error', error: 'query failed' };
  }
}

/** Free space on the data directory's disk (the embedded database, uploads, models). */
async function checkDisk(ctx: AppContext): Promise<Check> {
  // The data directory may not exist yet (PostgreSQL, no upload so far): its nearest existing parent is on the same disk.
  let dir = path.resolve(ctx.config.dataDir);
  for (;;) {
    try {
      const fs = await statfs(dir);
      const free = fs.bavail * fs.bsize;
      const min = ctx.config.minFreeDiskMb * 1024 * 1024;
      if (free >= min) return { status: 'ok', free_bytes: free };
      return {
        status: 'error',
        error: `${Math.floor(free / 1024 / 1024)} MB free, under the ${ctx.config.minFreeDiskMb} MB minimum`,
        free_bytes: free,
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || dir === path.dirname(dir)) {
        ctx.log.warn({ err }, 'health: disk check failed');
        return { status: 'error', error: 'free space unknown' };
      }
      dir = path.dirname(dir);
    }
  }
}

/** `GET /health`: 200 when the database answers and the disk has room, else 503 naming what failed. */
export function healthRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.get(API_ROUTES.health.path, { config: { public: true } }, async (_request, reply) => {
      const [database, disk] = await Promise.all([checkDatabase(ctx), checkDisk(ctx)]);
      const checks = { database, disk };
      const failing = Object.entries(checks).filter(([, c]) => c.status !== 'ok');
      if (failing.length === 0) return { status: 'ok', checks };
      // `error` as in every other error answer; `checks` says which.
      return reply.status(503).send({ status: 'error', error: failing.map(([name, c]) => `${name}: ${c.error}`).join('; '), checks });
    });
  };
}
