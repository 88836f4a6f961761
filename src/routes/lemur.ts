import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../context.js';
import { errors } from '../http/errors.js';
import { abortOnClose, rateLimit } from '../lemur/http.js';
import { Session } from '../lemur/map-reduce.js';
import { MAX_AUDIO_HOURS, parseLemurParams } from '../lemur/params.js';
import { inputTextLines, transcriptLines, type SourceTranscript } from '../lemur/prompt.js';
import { runLemur } from '../lemur/run.js';
import { rethrowLlmError } from '../lemur/service.js';
import { deleteLemurResponse, getLemurResponse, insertLemurResponse } from '../lemur/store.js';
import { SseStream } from '../http/sse.js';
import { UUID } from '../uuid.js';
import { API_ROUTES, LEMUR_KINDS } from '../http/api-routes.js';

/** The project's completed transcripts, in the order asked; the first that is missing or unfinished is a 400 naming it. */
export async function loadTranscripts(ctx: AppContext, projectId: string, ids: string[]): Promise<SourceTranscript[]> {
  const out: SourceTranscript[] = [];
  for (const id of ids) {
    const row = UUID.test(id) ? await ctx.transcripts.get(id, projectId) : null;
    if (!row) throw errors.lemurTranscriptNotFound(id);
    if (row.deleted_at || row.status !== 'completed' || !row.result)
      throw errors.lemurTranscriptNotReady(id, row.deleted_at ? 'deleted' : row.status);
    out.push({ id: row.id, text: row.result.text, words: row.result.words, audioDuration: row.result.audio_duration });
  }
  const hours = out.reduce((s, t) => s + t.audioDuration, 0) / 3600;
  if (hours > MAX_AUDIO_HOURS)
    // Rounded up, so a total just over the limit never reads as the limit itself.
    throw errors.invalidParam(
      `transcript_ids may cover at most ${MAX_AUDIO_HOURS} hours of audio (these cover ${(Math.ceil(hours * 10) / 10).toFixed(1)} hours)`,
    );
  return out;
}

/**
 * LeMUR (`/lemur/v3/...`, openapi 2025-01 with the 4.36.7 SDK's action items): task, summary,
 * question & answer and action items over transcripts or `input_text`, on the configured LLM.
 */
export function lemurRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    for (const kind of LEMUR_KINDS) {
      app.post(API_ROUTES.lemur.path.replace(':kind', kind), async (request, reply) => {
        await rateLimit(ctx.llm.limiter, ctx.db, request, reply);
        // A malformed request gets its 400 even when no LLM is configured (503).
        const params = parseLemurParams(kind, request.body);
        const backend = ctx.llm.require();
        const model = await ctx.llm.resolveLemurModel(params.finalModel);
        const source = params.transcriptIds
          ? transcriptLines(await loadTranscripts(ctx, request.projectId, params.transcriptIds))
          : inputTextLines(params.inputText!);
        const signal = abortOnClose(reply);
        // Earshot extension: `Accept: text/event-stream` streams the answer's text as `text` events, then the response as
        // `done` (question-answer, several answers, is not streamed). No SDK sends it; the console does.
        const events =
          kind !== 'question-answer' && /\btext\/event-stream\b/.test(request.headers.accept ?? '') ? new SseStream(reply) : null;
        const session = new Session(
          backend,
          model,
          params.temperature,
          signal,
          events ? (text) => text && events.send({ text }, 'text') : undefined,
        );
        const started = Date.now();
        const outcome = await runLemur(session, params, source).catch((err: unknown) => {
          if (signal.aborted && !events?.open) throw errors.clientClosed();
          if (!events?.open) return rethrowLlmError(err);
          // The client left mid-stream: nobody to tell, and the reply is no longer Fastify's to answer.
          if (signal.aborted) {
            events.end();
            return null;
          }
          // Too late for a status code: the error goes as the stream's last event.
          events.send({ error: (err as Error).message }, 'error');
          events.end();
          return null;
        });
        if (!outcome) return reply;
        const id = randomUUID();
        const body = {
          request_id: id,
          usage: outcome.usage,
          response: outcome.response,
          // Earshot extension: says when input too long for the model was read in parts (map-reduce).
          ...(outcome.parts > 1 && {
            map_reduce: {
              parts: outcome.parts,
              note: `The input was longer than the ${model.contextTokens}-token context of ${model.name}, so it was read in ${outcome.parts} parts and the answer was made from notes on each part.`,
            },
          }),
        };
        await insertLemurResponse(ctx.db, { id, projectId: request.projectId, kind, model: model.name, body });
        request.log.info(
          { lemur: id, kind, model: model.name, ...outcome.usage, parts: outcome.parts, ms: Date.now() - started },
          'LeMUR request answered',
        );
        if (!events) return body;
        events.send(body, 'done');
        events.end();
        return reply;
      });
    }

    app.get<{ Params: { request_id: string } }>(API_ROUTES.lemurResponse.path, async (request) => {
      const id = request.params.request_id.toLowerCase();
      const body = UUID.test(id) ? await getLemurResponse(ctx.db, id, request.projectId) : null;
      if (!body) throw errors.lemurRequestNotFound(request.params.request_id);
      return body;
    });

    app.delete<{ Params: { request_id: string } }>(API_ROUTES.lemurResponse.path, async (request) => {
      const id = request.params.request_id.toLowerCase();
      if (!UUID.test(id) || !(await deleteLemurResponse(ctx.db, id, request.projectId)))
        throw errors.lemurRequestNotFound(request.params.request_id);
      return { request_id: randomUUID(), request_id_to_purge: id, deleted: true };
    });
  };
}
