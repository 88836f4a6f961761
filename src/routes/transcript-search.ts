import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { baseUrlOf } from '../http/urls.js';
import type { AppContext } from '../context.js';
import { errors } from '../http/errors.js';
import { searchTranscripts } from '../storage/transcript-search.js';
import { listItemJson } from '../transcript/view.js';
import { UUID } from '../uuid.js';

const MAX_TEXT = 200;

/** Earshot extension `GET /v2/transcript/search?text=…`: transcripts whose text contains a phrase. */
export function transcriptSearchRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.get('/v2/transcript/search', async (request: FastifyRequest<{ Querystring: Record<string, string | undefined> }>) => {
      const { text, limit: rawLimit, before_id: beforeId } = request.query;
      if (typeof text !== 'string' || text.trim() === '' || text.length > MAX_TEXT) {
        throw errors.invalidParam(`text must be a non-empty String of at most ${MAX_TEXT} characters`);
      }
      const limit = rawLimit === undefined ? 20 : Number(rawLimit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw errors.invalidParam('limit must be an Integer between 1 and 100');
      if (beforeId !== undefined && !UUID.test(beforeId)) throw errors.invalidParam('before_id must be a transcript id');
      const { rows, hasOlder } = await searchTranscripts(ctx.db, request.projectId, {
        text: text.trim(),
        limit,
        beforeId: beforeId?.toLowerCase(),
      });
      const base = baseUrlOf(ctx, request);
      const last = rows[rows.length - 1];
      return {
        transcripts: rows.map((r) => ({ ...listItemJson(r, base), snippet: r.snippet })),
        prev_url:
          hasOlder && last
            ? `${base}/v2/transcript/search?${new URLSearchParams({ text: text.trim(), limit: String(limit), before_id: last.id })}`
            : null,
      };
    });
  };
}
