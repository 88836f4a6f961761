import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { AppContext } from './context.js';
import { ApiError, errors, failureError } from './http/errors.js';
import { unstorableStringError } from './http/input.js';
import { requestLog } from './http/request-log.js';
import { healthRoutes } from './routes/health.js';
import { uploadRoutes } from './routes/upload.js';
import { transcriptRoutes } from './routes/transcripts.js';
import { transcriptExportRoutes } from './routes/transcript-exports.js';
import { redactedAudioRoutes } from './routes/redacted-audio.js';
import { streamingRoutes } from './routes/streaming.js';
import { doctorRoutes } from './routes/doctor.js';
import { lemurRoutes } from './routes/lemur.js';
import { llmGatewayRoutes } from './routes/llm-gateway.js';
import { syncRoutes } from './routes/sync.js';
import { audioRoutes } from './routes/audio.js';
import { peaksRoutes } from './routes/peaks.js';
import { transcriptSearchRoutes } from './routes/transcript-search.js';
import { keyRoutes } from './routes/keys.js';
import { consoleRoutes } from './routes/console.js';
import { consoleApiRoutes } from './routes/console-api.js';
import { statusRoutes } from './routes/status.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on every authenticated route. */
    projectId: string;
  }
  interface FastifyContextConfig {
    /** Routes open without an API key (health checks). */
    public?: boolean;
    /** Errors as the LLM Gateway expects them: `{"error": {"code", "message"}, "message", "request_id"}` (OpenAI clients and the AssemblyAI SDK). */
    nestedErrors?: boolean;
    /** Errors as the sync and dictation APIs give them: `{"error", "error_code"}` (the SDKs read both). */
    codedErrors?: boolean;
  }
}

/** Fastify's own error codes, mapped to upstream-style answers in this one place. */
function toApiError(err: FastifyError, maxJsonBytes: number): ApiError {
  if (err instanceof ApiError) return err;
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      // Fastify's message names no limit; upload limits are thrown by the upload route itself.
      return errors.payloadTooLarge(maxJsonBytes);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return errors.invalidJson('the body is empty');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return errors.invalidJson(err.message);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return errors.invalidParam('Content-Length does not match the body');
    case 'FST_ERR_BAD_URL':
      return errors.badUrl();
    case 'ECONNRESET': // the client went away mid-body (an upload stream fails with this): no fault of ours
      return errors.requestAborted();
  }
  if (err instanceof SyntaxError) return errors.invalidJson(err.message);
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return new ApiError(err.statusCode, err.message, err.code ?? 'BAD_REQUEST');
  }
  return failureError(err);
}

/** After an early answer, at most this much of the rest of the body is read and thrown away, for at most this long. */
const DISCARD_MAX_BYTES = 32 * 1024 * 1024;
const DISCARD_MAX_MS = 10_000;

/**
 * A client that declared a body over the limit is still sending it when the 413 is ready. Closing the
 * connection then resets it with unread data, and the client reports a broken pipe instead of the answer.
 * So read and discard the rest first (as nginx's lingering close does), within bounds.
 */
async function discardRestOfBody(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const req = request.raw;
  if (!req.complete && !req.destroyed) {
    await new Promise<void>((resolve) => {
      let seen = 0;
      const done = () => {
        clearTimeout(timer);
        req.off('data', onData);
        resolve();
      };
      const onData = (chunk: Buffer) => {
        seen += chunk.length;
        if (seen > DISCARD_MAX_BYTES) done();
      };
      const timer = setTimeout(done, DISCARD_MAX_MS);
      req.on('data', onData);
      req.once('end', done);
      req.once('close', done);
      req.resume();
    });
  }
  // Fastify asks for close after any body error; only needed when the body is still coming.
  if (req.complete) reply.removeHeader('connection');
  else reply.header('connection', 'close');
}

export interface AppOptions {
  /** Serve HTTPS with this certificate and key (PEM). `server.ts` builds one app per listener on the same context. */
  https?: { cert: string; key: string };
}

export async function buildApp(ctx: AppContext, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.https && { https: options.https }),
    loggerInstance: ctx.log as FastifyBaseLogger,
    logController: requestLog(ctx.config.logRequests),
    bodyLimit: ctx.config.maxJsonBytes,
    genReqId: (req) => (req.headers['x-request-id'] as string | undefined) ?? randomUUID(),
    // Clients poll constantly; keep connections open.
    keepAliveTimeout: 72_000,
    // No param limit short of Node's header limit: an over-long id is just an unknown id (400 after auth, as upstream).
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 65_536 },
    // Errors raised before routing (bad percent-encoding) get the same `{"error"}` answers as the rest.
    frameworkErrors: (err, request, reply) => void sendError(err, request, reply),
  });

  async function sendError(err: FastifyError, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const apiError = toApiError(err, ctx.config.maxJsonBytes);
    // A 503 is a state (no LLM configured), not a failure of this request.
    if (apiError.statusCode >= 500 && apiError.statusCode !== 503) request.log.error({ err }, 'request failed');
    else if (apiError.statusCode === 503) request.log.warn({ code: apiError.code, msg: apiError.message }, 'request refused: unavailable');
    else request.log.info({ code: apiError.code, msg: apiError.message }, 'request rejected');
    reply.header('x-request-id', request.id);
    // Any answer given while the body is still arriving (over the limit, a live upload refused, a disk
    // full mid-upload) must not leave the unread rest on a kept-alive connection: the next request
    // on it would wait forever.
    if (!request.raw.complete) await discardRestOfBody(request, reply);
    const { nestedErrors, codedErrors } = request.routeOptions.config ?? {};
    // OpenAI clients read the nested `error`; the AssemblyAI SDK's gateway client reads `message` and `request_id`.
    const body = nestedErrors
      ? { error: { code: apiError.statusCode, message: apiError.message }, message: apiError.message, request_id: request.id }
      : codedErrors
        ? { error: apiError.message, error_code: apiError.code.toLowerCase() }
        : { error: apiError.message };
    return reply.status(apiError.statusCode).send(body);
  }

  app.decorateRequest('projectId', '');

  // Any body that is not an upload is parsed as JSON whatever its content-type: curl -d sends
  // application/x-www-form-urlencoded by default, and upstream reads it as JSON too.
  // An empty body is fine too: the Node SDK sends content-type: application/json on DELETE with no body.
  app.removeContentTypeParser(['text/plain', 'application/json']);
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    if (body === '') return done(null, undefined);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body as string);
    } catch (err) {
      return done(errors.invalidJson((err as Error).message), undefined);
    }
    const unstorable = unstorableStringError(parsed, 'body');
    if (unstorable) return done(unstorable, undefined);
    done(null, parsed);
  });

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('x-request-id', request.id);
    if (request.routeOptions.config.public || !request.routeOptions.url) return;
    request.projectId = await ctx.auth.require(request);
  });

  // After auth (a 401 comes first) and body parsing; query strings go through the same check as bodies.
  app.addHook('preValidation', async (request: FastifyRequest) => {
    const unstorable = unstorableStringError(request.query, 'query');
    if (unstorable) throw unstorable;
  });

  app.setErrorHandler((err: FastifyError, request, reply) => sendError(err, request, reply));

  app.setNotFoundHandler((_request, reply) => reply.status(404).send({ error: 'Not found' }));

  await app.register(healthRoutes(ctx));
  await app.register(uploadRoutes(ctx));
  await app.register(transcriptRoutes(ctx));
  await app.register(transcriptExportRoutes(ctx));
  await app.register(redactedAudioRoutes(ctx));
  await app.register(streamingRoutes(ctx));
  await app.register(doctorRoutes(ctx));
  await app.register(lemurRoutes(ctx));
  await app.register(llmGatewayRoutes(ctx));
  await app.register(syncRoutes(ctx));
  // Earshot extensions for the web console, and the console itself at `/`.
  await app.register(audioRoutes(ctx));
  await app.register(peaksRoutes(ctx));
  await app.register(transcriptSearchRoutes(ctx));
  await app.register(keyRoutes(ctx));
  await app.register(statusRoutes(ctx));
  await app.register(consoleApiRoutes(ctx));
  await app.register(consoleRoutes());
  return app;
}
