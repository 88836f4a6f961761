import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { baseUrlOf } from '../http/urls.js';
import type { AppContext } from '../context.js';
import { errors } from '../http/errors.js';
import { sendFile } from '../http/send-file.js';
import { RedactedAudioStore } from '../storage/redacted-audio.js';
import { getTranscript } from '../storage/transcripts.js';
import { redactedAudioResponse } from '../transcript/redacted-audio.js';
import { findTranscript } from '../http/transcript-lookup.js';
import { UUID } from '../uuid.js';
import { API_ROUTES } from '../http/api-routes.js';

type IdRequest = FastifyRequest<{ Params: { id: string } }>;
type FileRequest = FastifyRequest<{ Params: { id: string; file: string }; Querystring: { token?: string } }>;

/** `GET /v2/transcript/{id}/redacted-audio` (upstream's `RedactedAudioResponse`) and the file its URL names. */
export function redactedAudioRoutes(ctx: AppContext): FastifyPluginAsync {
  const store = new RedactedAudioStore(ctx.uploads.blobs);
  return async (app) => {
    app.get(API_ROUTES.redactedAudio.path, async (request: IdRequest, reply) => {
      const row = await findTranscript(ctx, request);
      if (row.deleted_at) throw errors.transcriptNotFound();
      if (!row.params.redact_pii_audio) throw errors.redactedAudioUnavailable('it was not requested with redact_pii_audio');
      // The Python SDK reads 202 as "not ready yet".
      if (row.status === 'queued' || row.status === 'processing')
        return reply.code(202).send({ status: row.status, redacted_audio_url: null });
      if (row.status === 'error') throw errors.redactedAudioUnavailable('the transcript ended with an error');
      const response = redactedAudioResponse(baseUrlOf(ctx, request), row);
      if (!response)
        throw errors.redactedAudioUnavailable(
          'the audio has no speech (set redact_pii_audio_options.return_redacted_no_speech_audio to get it anyway)',
        );
      return response;
    });

    // Public as far as the auth hook goes: the token in the URL is the credential, as in upstream's pre-signed URL.
    app.get('/v2/transcript/:id/redacted-audio/:file', { config: { public: true } }, async (request: FileRequest, reply) => {
      const id = request.params.id.toLowerCase();
      const row = UUID.test(id) ? await getTranscript(ctx.db, id) : null;
      const audio = row && row.status === 'completed' && !row.deleted_at ? row.result?.redacted_audio : null;
      const given = Buffer.from(request.query.token ?? '');
      const expected = Buffer.from(audio?.token ?? '');
      if (
        !audio ||
        request.params.file !== `${id}.${audio.format}` ||
        given.length !== expected.length ||
        !timingSafeEqual(given, expected)
      ) {
        throw errors.notFound();
      }
      const info = await store.stat(id, audio.format);
      if (!info) throw errors.notFound();
      return sendFile(request, reply, {
        open: async (range) => {
          const body = await store.open(id, audio.format, range);
          if (!body) throw errors.notFound();
          return body;
        },
        size: info.size,
        mtime: info.mtime,
        contentType: audio.format === 'mp3' ? 'audio/mpeg' : 'audio/wav',
        cacheControl: 'private, max-age=86400',
      });
    });
  };
}
