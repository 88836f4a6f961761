import { buffer } from 'node:stream/consumers';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { baseUrlOf } from '../http/urls.js';
import { SNIFF_BYTES, sniffBytes } from '../audio/decode.js';
import type { AppContext } from '../context.js';
import { Authenticator } from '../http/auth.js';
import { errors } from '../http/errors.js';
import { createMediaToken, MEDIA_TOKEN_SECONDS, verifyMediaToken } from '../http/media-token.js';
import { sendFile } from '../http/send-file.js';
import { findTranscript } from '../http/transcript-lookup.js';
import { UUID } from '../uuid.js';
import { held } from './upload.js';

type AudioRequest = FastifyRequest<{ Params: { id: string }; Querystring: { token?: string } }>;

/**
 * Earshot extensions for players (the web console's): a URL the browser can play a transcript's
 * audio from, and the audio itself with Range support so seeking does not download the whole file.
 */
export function audioRoutes(ctx: AppContext): FastifyPluginAsync {
  const resource = (transcriptId: string) => `audio:${transcriptId}`;

  return async (app) => {
    // An uploaded file: a signed URL to the route below. A URL-sourced transcript: its own audio_url,
    // which Earshot does not keep (the browser fetches it from where the transcript did).
    app.get('/v2/transcript/:id/audio-url', async (request: AudioRequest) => {
      const row = await findTranscript(ctx, request);
      if (row.deleted_at) throw errors.transcriptNotFound();
      if (!row.upload_id) return { url: row.audio_url, expires_at: null };
      if (!(await ctx.uploads.get(row.upload_id))) throw errors.audioGone();
      const signed = await createMediaToken(ctx.db, Authenticator.keyFrom(request.headers.authorization) ?? '', resource(row.id));
      if (!signed) throw errors.unauthorized();
      return {
        url: `${baseUrlOf(ctx, request)}/v2/transcript/${row.id}/audio?token=${signed.token}`,
        expires_at: signed.expiresAt.toISOString(),
      };
    });

    // Public as far as the auth hook goes: it takes the API key header or a media token from the URL.
    app.get('/v2/transcript/:id/audio', { config: { public: true } }, async (request: AudioRequest, reply) => {
      const id = request.params.id.toLowerCase();
      const token = request.query.token;
      const projectId = token
        ? UUID.test(id)
          ? await verifyMediaToken(ctx.db, token, resource(id))
          : null
        : await ctx.auth.require(request);
      if (!projectId) throw errors.unauthorized();
      request.projectId = projectId;
      const row = await findTranscript(ctx, request);
      if (row.deleted_at) throw errors.transcriptNotFound();
      const upload = row.upload_id ? await ctx.uploads.get(row.upload_id) : null;
      if (!upload) throw errors.audioGone();
      const info = await held(ctx.uploads.stat(upload));
      if (!info) throw errors.audioGone();
      const open = async (range?: { start: number; end: number }) => {
        const body = await held(ctx.uploads.open(upload, range));
        if (!body) throw errors.audioGone();
        return body;
      };
      const type = sniffBytes(await buffer(await open({ start: 0, end: Math.min(SNIFF_BYTES, info.size) - 1 })), info.size <= SNIFF_BYTES);
      return sendFile(request, reply, {
        open,
        size: info.size,
        mtime: info.mtime,
        contentType: type.kind === 'media' ? type.mime : 'application/octet-stream',
        // The bytes of an upload never change; private, as the URL carries a credential.
        cacheControl: `private, max-age=${MEDIA_TOKEN_SECONDS}`,
      });
    });
  };
}
