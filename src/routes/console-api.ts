import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../context.js';
import { findDiarizationModels } from '../engines/diarization-models.js';
import { findLanguageIdModel } from '../engines/language-id-models.js';
import { errors } from '../http/errors.js';
import { setFileName, transcriptDetails } from '../storage/transcript-details.js';
import { LLM_FEATURES, UNSUPPORTED_WHEN_TRUE } from '../transcript/params.js';
import { findTranscript } from '../http/transcript-lookup.js';
import { UUID } from '../uuid.js';

const MAX_IDS = 200;
const MAX_NAME = 255;

/**
 * Earshot extension: what the web console needs beyond the AssemblyAI API, under its own prefix so
 * upstream's resources keep exactly upstream's shape.
 */
export function consoleApiRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    // What this server can honour, so the console offers no option that the API would then refuse.
    app.get('/v2/console/capabilities', async () => ({
      speech_model: ctx.engine.model,
      languages: ctx.engine.languages,
      unsupported_features: [
        ...('missing' in (await findDiarizationModels(ctx.config)) ? ['speaker_labels'] : []),
        ...('missing' in (await findLanguageIdModel(ctx.config)) ? ['language_detection'] : []),
        ...UNSUPPORTED_WHEN_TRUE,
        ...(ctx.llm.unavailableReason ? LLM_FEATURES : []),
      ],
    }));

    // File names and durations of list items, which upstream's list does not carry.
    app.get<{ Querystring: { ids?: string } }>('/v2/console/transcripts', async (request) => {
      const ids = (request.query.ids ?? '').split(',').filter(Boolean);
      if (ids.length > MAX_IDS) throw errors.invalidParam(`ids may name at most ${MAX_IDS} transcripts`);
      const bad = ids.find((id) => !UUID.test(id));
      if (bad !== undefined) throw errors.invalidParam(`ids must be comma-separated transcript ids, not "${bad.slice(0, 60)}"`);
      return {
        transcripts: await transcriptDetails(
          ctx.db,
          request.projectId,
          ids.map((id) => id.toLowerCase()),
        ),
      };
    });

    type NameRequest = { Params: { id: string }; Body: { file_name?: unknown } | undefined };
    app.put<NameRequest>('/v2/console/transcripts/:id/file-name', async (request) => {
      const raw = request.body?.file_name;
      // Control characters would only garble the list; the rest of a name is the user's business.
      const name = typeof raw === 'string' ? raw.replace(/\p{Cc}/gu, '').trim() : '';
      if (name === '' || name.length > MAX_NAME) {
        throw errors.invalidParam(`file_name must be a non-empty String of at most ${MAX_NAME} characters`);
      }
      const { id } = request.params;
      if (!UUID.test(id) || !(await setFileName(ctx.db, request.projectId, id.toLowerCase(), name))) throw errors.transcriptNotFound();
      return { id: id.toLowerCase(), file_name: name };
    });

    // Sends a finished transcript's webhook once more (say, after fixing the receiver): a new
    // delivery with the usual retries, logged with the others.
    app.post<{ Params: { id: string } }>('/v2/console/transcripts/:id/webhook-redeliver', async (request) => {
      const row = await findTranscript(ctx, request);
      if (row.deleted_at || !row.params.webhook_url) throw errors.invalidParam('This transcript has no webhook_url to deliver to');
      if (row.status !== 'completed' && row.status !== 'error') throw errors.notReady(row.status);
      await ctx.queue.enqueueWebhook({ transcriptId: row.id });
      request.log.info({ transcript: row.id }, 'webhook redelivery queued');
      return { transcript_id: row.id, queued: true };
    });
  };
}
