import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { AppContext } from './context.js';
import { ApiError, errors } from './http/errors.js';
import { uploadRoutes } from './routes/upload.js';
import { transcriptRoutes } from './routes/transcripts.js';
import { transcriptExportRoutes } from './routes/transcript-exports.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on every authenticated route. */
    projectId: string;
  }
  interface FastifyContextConfig {
    /** Routes open without an API key (health checks). */
    public?: boolean;
  }
}

/** Fastify's own error codes, mapped to upstream-style answers in this one place. */
function toApiError(err: FastifyError): ApiError {
  if (err instanceof ApiError) return err;
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errors.payloadTooLarge(Number(/\d+/.exec(err.message)?.[0] ?? 0));
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return errors.invalidJson('the body is empty');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return errors.invalidJson(err.message);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return errors.invalidParam('Content-Length does not match the body');
  }
  if (err instanceof SyntaxError) return errors.invalidJson(err.message);
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return new ApiError(err.statusCode, err.message, err.code ?? 'BAD_REQUEST');
  }
  return errors.serverError();
}

export async function buildApp(ctx: AppContext): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.log as FastifyBaseLogger,
    bodyLimit: ctx.config.maxJsonBytes,
    genReqId: (req) => (req.headers['x-request-id'] as string | undefined) ?? randomUUID(),
    // Clients poll constantly; keep connections open.
    keepAliveTimeout: 72_000,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  });

  app.decorateRequest('projectId', '');

  // Any body that is not an upload is parsed as JSON whatever its content-type: curl -d sends
  // application/x-www-form-urlencoded by default, and upstream reads it as JSON too.
  // An empty body is fine too: the Node SDK sends content-type: application/json on DELETE with no body.
  app.removeContentTypeParser(['text/plain', 'application/json']);
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    if (body === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch (err) {
      done(errors.invalidJson((err as Error).message), undefined);
    }
  });

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('x-request-id', request.id);
    if (request.routeOptions.config.public || !request.routeOptions.url) return;
    request.projectId = await ctx.auth.require(request);
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const apiError = toApiError(err);
    if (apiError.statusCode >= 500) request.log.error({ err }, 'request failed');
    else request.log.info({ code: apiError.code, msg: apiError.message }, 'request rejected');
    return reply.status(apiError.statusCode).send({ error: apiError.message });
  });

  app.setNotFoundHandler((_request, reply) => reply.status(404).send({ error: 'Not found' }));

  app.get('/health', { config: { public: true } }, async () => ({ status: 'ok' }));

  await app.register(uploadRoutes(ctx));
  await app.register(transcriptRoutes(ctx));
  await app.register(transcriptExportRoutes(ctx));
  return app;
}

/** Absolute base URL of this server as the client sees it, for `upload_url` and `page_details`. */
export function baseUrlOf(ctx: AppContext, request: FastifyRequest): string {
  if (ctx.config.publicUrl) return ctx.config.publicUrl.replace(/\/+$/, '');
  return `${request.protocol}://${request.host}`;
}
