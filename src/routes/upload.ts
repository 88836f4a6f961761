import type { FastifyPluginAsync } from 'fastify';
import { baseUrlOf } from '../http/urls.js';
import type { AppContext } from '../context.js';
import { errors } from '../http/errors.js';
import { UploadNotHeldError, UploadTooLargeError } from '../storage/uploads.js';
import { API_ROUTES } from '../http/api-routes.js';

/** Awaits a read of an upload's bytes, turning "held by another node" into its API error. */
export async function held<T>(read: Promise<T>): Promise<T> {
  try {
    return await read;
  } catch (err) {
    if (err instanceof UploadNotHeldError) throw errors.uploadNotHeld(err.message);
    throw err;
  }
}

/** `POST /v2/upload`: raw bytes in, `{upload_url}` out. The body streams to the blob store, never held in memory. */
export function uploadRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    // Leave the body unread for the handler to stream, whatever its content-type.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_req, _payload, done) => done(null));

    app.post(API_ROUTES.upload.path, async (request) => {
      const limit = ctx.config.maxUploadBytes;
      const declared = Number(request.headers['content-length'] ?? NaN);
      // The 413 handling (app.ts) reads and discards what the client still sends.
      if (declared > limit) throw errors.payloadTooLarge(limit);
      let upload: Awaited<ReturnType<typeof ctx.uploads.save>>;
      try {
        upload = await ctx.uploads.save(request.raw, request.projectId, limit);
      } catch (err) {
        if (err instanceof UploadTooLargeError) throw errors.payloadTooLarge(limit);
        throw err;
      }
      if (upload.size === 0) throw errors.emptyUpload();
      request.log.info({ upload: upload.id, bytes: upload.size }, 'upload stored');
      return { upload_url: `${baseUrlOf(ctx, request)}/v2/upload/${upload.id}` };
    });

    // Earshot extension: the owner can fetch its upload back (the console plays audio from here).
    app.get<{ Params: { id: string } }>(API_ROUTES.uploadFile.path, async (request, reply) => {
      const upload = await ctx.uploads.get(request.params.id);
      if (!upload || upload.project_id !== request.projectId) throw errors.uploadForbidden();
      const body = await held(ctx.uploads.open(upload));
      if (!body) throw errors.uploadForbidden();
      reply.header('content-length', upload.size);
      reply.type('application/octet-stream');
      return reply.send(body);
    });
  };
}
