import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { errors } from '../http/errors.js';
import { findTranscript } from '../http/transcript-lookup.js';
import { held } from './upload.js';

/**
 * Earshot extension `GET /v2/transcript/:id/peaks`: the waveform of a completed transcript's audio
 * (audiowaveform JSON), computed once. Transcripts finished before peaks existed get theirs on first
 * request, if their upload is still stored.
 */
export function peaksRoutes(ctx: AppContext): FastifyPluginAsync {
  const store = ctx.peaks;
  return async (app) => {
    app.get('/v2/transcript/:id/peaks', async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
      const row = await findTranscript(ctx, request);
      if (row.status !== 'completed' || row.deleted_at) throw errors.notReady(row.deleted_at ? 'deleted' : row.status);
      let json = await store.read(row.id);
      if (json === null) {
        const upload = row.upload_id ? await ctx.uploads.get(row.upload_id) : null;
        const audio = upload
          ? await held(ctx.uploads.localFile(upload, path.join(ctx.config.dataDir, 'tmp', `peaks-${randomUUID()}`)))
          : null;
        if (!audio) throw errors.peaksUnavailable();
        try {
          json = await store.compute(row.id, audio.file);
        } catch (err) {
          request.log.info({ transcript: row.id, reason: (err as Error).message }, 'waveform peaks not computed');
          throw errors.peaksUnavailable();
        } finally {
          await audio.cleanup();
        }
      }
      // Peaks never change for a transcript; private, as they describe the caller's audio.
      reply.header('cache-control', 'private, max-age=86400');
      reply.type('application/json; charset=utf-8');
      return json;
    });
  };
}
