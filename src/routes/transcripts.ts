import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../context.js';
import { findDiarizationModels } from '../engines/diarization-models.js';
import { findLanguageIdModel } from '../engines/language-id-models.js';
import { resolveSpeechModel } from '../engines/models.js';
import { errors } from '../http/errors.js';
import { findTranscript } from '../http/transcript-lookup.js';
import { baseUrlOf, pathAndQueryOf } from '../http/urls.js';
import { createTranscript } from '../pipeline/submit.js';
import { RedactedAudioStore } from '../storage/redacted-audio.js';
import { uploadIdFromUrl } from '../storage/uploads.js';
import { deleteTranscript, listTranscripts, listWebhookDeliveries, type ListQuery } from '../storage/transcripts.js';
import { llmFeaturesOf, parseTranscriptParams, refuseUnappliedOptions } from '../transcript/params.js';
import type { TranscriptStatus } from '../transcript/types.js';
import { listItemJson, transcriptJson, upstreamTimestamp } from '../transcript/view.js';
import { UUID } from '../uuid.js';
import { API_ROUTES } from '../http/api-routes.js';

const STATUSES: TranscriptStatus[] = ['queued', 'processing', 'completed', 'error'];

function parseListQuery(q: Record<string, string | undefined>): ListQuery {
  const out: ListQuery = { limit: 10 };
  if (q.limit !== undefined) {
    const n = Number(q.limit);
    if (!Number.isInteger(n) || n < 1 || n > 200) throw errors.invalidParam('limit must be an Integer between 1 and 200');
    out.limit = n;
  }
  if (q.status !== undefined) {
    if (!STATUSES.includes(q.status as TranscriptStatus)) throw errors.invalidParam(`status must be one of: ${STATUSES.join(', ')}`);
    out.status = q.status as TranscriptStatus;
  }
  if (q.created_on !== undefined) {
    // Round-trip through Date: it rolls 2024-02-31 over to March, which PostgreSQL would refuse with a 500.
    const day = /^\d{4}-\d{2}-\d{2}$/.test(q.created_on) ? new Date(`${q.created_on}T00:00:00Z`) : null;
    if (!day || Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== q.created_on) {
      throw errors.invalidParam('created_on must be a date in the form YYYY-MM-DD');
    }
    out.createdOn = q.created_on;
  }
  for (const key of ['before_id', 'after_id'] as const) {
    const v = q[key];
    if (v === undefined) continue;
    if (!UUID.test(v)) throw errors.invalidParam(`${key} must be a transcript id`);
    if (key === 'before_id') out.beforeId = v.toLowerCase();
    else out.afterId = v.toLowerCase();
  }
  if (out.beforeId && out.afterId) throw errors.invalidParam('Use before_id or after_id, not both');
  return out;
}

export function transcriptRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.post(API_ROUTES.transcripts.path, async (request) => {
      const params = parseTranscriptParams(request.body);
      const speechModel = resolveSpeechModel(params, ctx.engine);
      if ('error' in speechModel) throw errors.invalidParam(speechModel.error);
      const languages = ctx.engine.languages;
      if (params.language_code !== null && languages !== 'all' && !languages.includes(params.language_code)) {
        throw errors.unsupportedLanguage(params.language_code, ctx.engine.model, languages);
      }
      refuseUnappliedOptions(params, ctx.engine.model);
      const diarization = params.speaker_labels ? await findDiarizationModels(ctx.config) : null;
      if (diarization && 'missing' in diarization) throw errors.invalidParam(diarization.missing);
      const languageId = params.language_detection ? await findLanguageIdModel(ctx.config) : null;
      if (languageId && 'missing' in languageId) throw errors.invalidParam(languageId.missing);
      const onLlm = llmFeaturesOf(params);
      if (onLlm.length && ctx.llm.unavailableReason)
        throw errors.invalidParam(`These features run on an LLM: ${onLlm.join(', ')}. ${ctx.llm.unavailableReason}`);
      let uploadId: string | null = null;
      const maybeUpload = uploadIdFromUrl(params.audio_url);
      if (maybeUpload) {
        const upload = await ctx.uploads.get(maybeUpload);
        if (upload && upload.project_id !== request.projectId) throw errors.uploadForbidden();
        if (upload) uploadId = upload.id;
      }
      const { row, jobId } = await createTranscript(ctx, { projectId: request.projectId, params, uploadId });
      request.log.info({ transcript: row.id, job: jobId, upload: uploadId }, 'transcript queued');
      return transcriptJson(row);
    });

    app.get<{ Querystring: Record<string, string | undefined> }>(API_ROUTES.transcripts.path, async (request) => {
      const query = parseListQuery(request.query);
      const { rows, hasOlder, hasNewer } = await listTranscripts(ctx.db, request.projectId, query);
      const base = baseUrlOf(ctx, request);
      const pageUrl = (cursor: Record<string, string>) => {
        const qs = new URLSearchParams({ limit: String(query.limit) });
        if (query.status) qs.set('status', query.status);
        if (query.createdOn) qs.set('created_on', query.createdOn);
        for (const [k, v] of Object.entries(cursor)) qs.set(k, v);
        return `${base}/v2/transcript?${qs}`;
      };
      const first = rows[0];
      const last = rows[rows.length - 1];
      return {
        page_details: {
          limit: query.limit,
          result_count: rows.length,
          current_url: `${base}${pathAndQueryOf(request)}`,
          prev_url: hasOlder && last ? pageUrl({ before_id: last.id }) : null,
          next_url: hasNewer && first ? pageUrl({ after_id: first.id }) : null,
        },
        transcripts: rows.map((r) => listItemJson(r, base)),
      };
    });

    app.get<{ Params: { id: string } }>(API_ROUTES.transcript.path, async (request) => transcriptJson(await findTranscript(ctx, request)));

    app.delete<{ Params: { id: string } }>(API_ROUTES.transcript.path, async (request) => {
      await findTranscript(ctx, request);
      const row = await deleteTranscript(ctx.db, request.params.id.toLowerCase(), request.projectId);
      if (!row) throw errors.transcriptNotFound();
      ctx.transcripts.invalidate(row.id);
      if (row.upload_id) await ctx.uploads.remove(row.upload_id);
      await ctx.peaks.remove(row.id);
      await new RedactedAudioStore(ctx.uploads.blobs).remove(row.id);
      request.log.info({ transcript: row.id }, 'transcript deleted');
      return transcriptJson(row);
    });

    // Earshot extension: every webhook attempt for a transcript, newest last.
    app.get<{ Params: { id: string } }>(API_ROUTES.webhookDeliveries.path, async (request) => {
      const row = await findTranscript(ctx, request);
      const deliveries = await listWebhookDeliveries(ctx.db, row.id);
      return {
        transcript_id: row.id,
        webhook_url: row.params.webhook_url,
        webhook_status_code: row.webhook_status_code,
        deliveries: deliveries.map((d) => ({ ...d, created_at: upstreamTimestamp(d.created_at) })),
      };
    });
  };
}
