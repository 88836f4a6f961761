import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';

/** Absolute base URL of this server as the client sees it, for `upload_url` and `page_details`. */
export function baseUrlOf(ctx: AppContext, request: FastifyRequest): string {
  if (ctx.config.publicUrl) return ctx.config.publicUrl.replace(/\/+$/, '');
  return `${request.protocol}://${request.host}`;
}

/** The request's path and query, also for a request line in absolute form (`GET http://other.host/v2/…`), whose host is not echoed. */
export function pathAndQueryOf(request: FastifyRequest): string {
  if (request.url.startsWith('/')) return request.url;
  const u = URL.parse(request.url);
  return u ? `${u.pathname}${u.search}` : '/';
}
