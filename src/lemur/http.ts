import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../http/errors.js';
import type { Queryable } from '../db/index.js';
import type { RateLimiter } from './rate-limit.js';

/** Counts the request against its project's minute and sets upstream's X-RateLimit-* headers; 429 beyond the limit. */
export async function rateLimit(limiter: RateLimiter, db: Queryable, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (limiter.limit <= 0) return;
  const state = await limiter.take(db, request.projectId);
  reply.header('x-ratelimit-limit', state.limit);
  reply.header('x-ratelimit-remaining', state.remaining);
  reply.header('x-ratelimit-reset', state.resetSeconds);
  if (!state.allowed) {
    reply.header('retry-after', state.resetSeconds);
    throw errors.tooManyRequests();
  }
}

/** Aborted when the client goes away before the answer is sent, so the model stops generating for nobody. */
export function abortOnClose(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new Error('the client closed the connection'));
  });
  return controller.signal;
}
